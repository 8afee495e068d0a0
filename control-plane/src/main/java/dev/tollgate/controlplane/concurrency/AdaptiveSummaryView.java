package dev.tollgate.controlplane.concurrency;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Adaptive concurrency across all provider keys. */
@Schema(description = "Adaptive concurrency across all provider keys (deleted ones excluded).")
public record AdaptiveSummaryView(
    @Schema(description = "Provider keys in adaptive mode.") long adaptiveKeys,
    @Schema(description = "Provider keys with a fixed limit.") long fixedKeys,
    @Schema(description = "Adaptive keys that have learned a limit.") long learnedKeys,
    @Schema(description = "429 answers from upstream by kind, all provider keys.")
        @JsonProperty("upstream_429")
        Upstream429View upstream429,
    @Schema(description = "Limit adjustments in the last 24 hours.")
        @JsonProperty("adjustments_24h")
        long adjustments24h,
    @Schema(description = "The 10 most recent adjustments, newest first.")
        List<AdjustmentView> recentAdjustments) {}
