package dev.tollgate.controlplane.stats;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(description = "Tokens counted, as the upstreams reported them (or estimated).")
public record TokenCounts(
    @Schema(description = "Input tokens.") long prompt,
    @Schema(description = "Output tokens.") long completion,
    @Schema(description = "Total tokens (may differ from prompt + completion).") long total) {}
