package dev.tollgate.controlplane.concurrency;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A provider key that learns its concurrency limit. */
@Schema(description = "A provider key in adaptive mode (max_concurrent null): what it learned.")
public record AdaptiveKeyView(
    @Schema(description = "Provider key id.") long id,
    @Schema(description = "Its provider group.") long groupId,
    @Schema(description = "active or disabled.") String status,
    @Schema(
            description = "The limit the data planes learned; null until one was reported.",
            nullable = true)
        Integer learnedMaxConcurrent,
    @Schema(description = "429 answers from upstream by kind.") @JsonProperty("upstream_429")
        Upstream429View upstream429,
    @Schema(description = "When the last 429 came; null if none.", nullable = true)
        @JsonProperty("last_429_at")
        Instant last429At,
    @Schema(
            description = "Kind of the last 429: rpm, concurrency or unknown; null if none.",
            nullable = true)
        @JsonProperty("last_429_kind")
        String last429Kind,
    @Schema(
            description = "When an operator last reset the learning; null if never.",
            nullable = true)
        Instant learningResetAt) {}
