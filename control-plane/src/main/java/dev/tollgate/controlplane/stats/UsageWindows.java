package dev.tollgate.controlplane.stats;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(description = "Usage in the last minute, hour, 8 hours, 24 hours and this month.")
public record UsageWindows(
    @Schema(description = "all, key, user, group or model: whose usage is counted.") String scope,
    @Schema(description = "The key, user or group id of the scope; null otherwise.") Long scopeId,
    @Schema(description = "The model of the scope; null otherwise.") String model,
    @Schema(description = "The windows, shortest first.") List<UsageWindow> windows) {}
