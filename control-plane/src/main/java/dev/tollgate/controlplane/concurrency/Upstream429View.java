package dev.tollgate.controlplane.concurrency;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** 429 answers from upstream by the kind the data plane classified them as. */
@Schema(description = "429 answers from upstream, by the kind the data plane classified.")
public record Upstream429View(
    @Schema(description = "Requests-per-minute limit of the upstream (retry-after, rpm headers).")
        long rpm,
    @Schema(description = "Concurrency limit of the upstream: what the learned limit reacts to.")
        long concurrency,
    @Schema(description = "429s that said neither.") long unknown) {}
