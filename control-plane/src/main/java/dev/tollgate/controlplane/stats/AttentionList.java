package dev.tollgate.controlplane.stats;

import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(description = "The keys or provider keys with the most failures or 429s over a window.")
public record AttentionList(
    @Schema(description = "keys or provider_keys.") String subject,
    @Schema(description = "failures or rate_limited: what the list is sorted by.") String by,
    @Schema(description = "The window asked for, e.g. 1h or 24h.") String window,
    @Schema(description = "Start of the first hour counted: the window is rounded out to hours.")
        Instant from,
    @Schema(description = "End of the current hour, exclusive.") Instant to,
    @Schema(description = "Most first; only those with at least one.") List<AttentionItem> items) {}
