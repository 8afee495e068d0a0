package dev.tollgate.controlplane.stats;

import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(description = "One key's usage per model over a period ending now.")
public record KeyUsage(
    @Schema(description = "The key.") long keyId,
    @Schema(description = "The period asked for, e.g. 24h or 7d.") String period,
    @Schema(
            description =
                "Start of the first bucket counted: now minus the period, rounded down to the"
                    + " minute (periods up to 24h) or to the day (longer ones), UTC.")
        Instant from,
    @Schema(description = "End of the current minute, exclusive.") Instant to,
    @Schema(description = "Requests and tokens per model, most requests first.")
        List<ModelUsage> models) {}
