package dev.tollgate.controlplane.concurrency;

import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One change of a learned concurrency limit. */
@Schema(description = "One change of a provider key's learned concurrency limit.")
public record AdjustmentView(
    @Schema(description = "Id of the adjustment.") long id,
    @Schema(description = "The provider key.") long providerKeyId,
    @Schema(description = "When the data plane changed the limit.") Instant adjustedAt,
    @Schema(description = "Limit before.") int oldLimit,
    @Schema(description = "Limit after.") int newLimit,
    @Schema(
            description = "Why: concurrency_429, unknown_429, increase, probe or reset.",
            enumeration = {"concurrency_429", "unknown_429", "increase", "probe", "reset"})
        String reason,
    @Schema(description = "Share of the old limit in use when it changed, 0..1.")
        double utilisation,
    @Schema(description = "The data-plane instance that changed it.") String dpInstanceId) {}
