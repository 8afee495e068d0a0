package dev.tollgate.controlplane.stats;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(description = "A key's usage of one model over a period.")
public record ModelUsage(
    @Schema(description = "The model the client asked for.") String model,
    @Schema(description = "Requests for this model.") RequestCounts requests,
    @Schema(description = "Tokens for this model.") TokenCounts tokens) {}
