package dev.tollgate.controlplane.stats;

import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(description = "Usage per bucket over a time range, every bucket present (zeros included).")
public record UsageSeries(
    @Schema(description = "all, key, user, group or model: whose usage is counted.") String scope,
    @Schema(description = "The key, user or group id of the scope; null otherwise.") Long scopeId,
    @Schema(description = "The model of the scope; null otherwise.") String model,
    @Schema(description = "1m, 1h or 1d.") String step,
    @Schema(description = "Start of the first bucket (from, rounded down to the step).")
        Instant from,
    @Schema(description = "End of the last bucket (to, rounded up to the step), exclusive.")
        Instant to,
    @Schema(description = "One point per bucket, oldest first.") List<UsagePoint> points) {}
