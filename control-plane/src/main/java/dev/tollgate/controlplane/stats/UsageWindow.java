package dev.tollgate.controlplane.stats;

import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(description = "Usage in one window ending now.")
public record UsageWindow(
    @Schema(description = "1m, 1h, 8h, 24h or month (the current calendar month, UTC).")
        String window,
    @Schema(description = "Start of the first bucket counted (inclusive).") Instant from,
    @Schema(description = "End of the last bucket counted (exclusive): the end of this minute.")
        Instant to,
    @Schema(description = "Requests in the window.") RequestCounts requests,
    @Schema(description = "Tokens in the window.") TokenCounts tokens) {}
