package dev.tollgate.controlplane.stats;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(description = "Usage across every provider group (deleted ones excluded), with rates.")
public record UsageSummary(
    @Schema(description = "Requests over all the groups listed.") RequestCounts requests,
    @Schema(description = "Tokens over all the groups listed.") TokenCounts tokens,
    @Schema(description = "success / requests overall, null without requests.") Double successRate,
    @Schema(description = "failure / requests overall, null without requests.") Double failureRate,
    @Schema(description = "Each group, by id.") List<GroupUsage> groups) {}
