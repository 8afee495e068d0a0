package dev.tollgate.controlplane.concurrency;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Concurrency state of one provider key. */
@Schema(description = "Concurrency mode, limit, 429s and adjustment history of a provider key.")
public record ConcurrencyStatsView(
    @Schema(description = "Provider key id.") long providerKeyId,
    @Schema(description = "Its provider group.") long groupId,
    @Schema(
            description = "fixed (an operator's max_concurrent) or adaptive (learned).",
            enumeration = {"fixed", "adaptive"})
        String mode,
    @Schema(description = "The fixed limit; null in adaptive mode.", nullable = true)
        Integer maxConcurrent,
    @Schema(
            description =
                "The learned limit; kept in fixed mode too (the fixed one wins); null until"
                    + " reported.",
            nullable = true)
        Integer learnedMaxConcurrent,
    @Schema(
            description =
                "The limit that applies: max_concurrent when fixed, else the learned one (null"
                    + " while nothing is learned).",
            nullable = true)
        Integer effectiveLimit,
    @Schema(description = "429 answers from upstream by kind.") @JsonProperty("upstream_429")
        Upstream429View upstream429,
    @Schema(description = "When the last 429 came; null if none.", nullable = true)
        @JsonProperty("last_429_at")
        Instant last429At,
    @Schema(description = "Kind of the last 429; null if none.", nullable = true)
        @JsonProperty("last_429_kind")
        String last429Kind,
    @Schema(
            description = "When an operator last reset the learning; null if never.",
            nullable = true)
        Instant learningResetAt,
    @Schema(description = "Adjustment history, newest first, one page.")
        AdjustmentPage adjustments) {}
