package dev.tollgate.controlplane.stats;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(description = "One provider group's usage since it was created.")
public record GroupUsage(
    @Schema(description = "The provider group.") long id,
    @Schema(description = "Its name.") String name,
    @Schema(description = "Its platform.") String platform,
    @Schema(description = "active or disabled.") String status,
    @Schema(description = "Requests routed to the group.") RequestCounts requests,
    @Schema(description = "Their tokens.") TokenCounts tokens,
    @Schema(description = "success / requests, null without requests.") Double successRate,
    @Schema(description = "failure / requests, null without requests.") Double failureRate) {}
