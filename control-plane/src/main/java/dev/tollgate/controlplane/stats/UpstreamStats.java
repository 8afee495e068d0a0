package dev.tollgate.controlplane.stats;

import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(
    description =
        "A provider group's or provider key's counters since it was created, with rates and mean"
            + " latency computed when read.")
public record UpstreamStats(
    @Schema(description = "The provider group or provider key.") long id,
    @Schema(description = "The provider key's group; null for a group.") Long groupId,
    @Schema(description = "active, disabled or deleted.") String status,
    @Schema(description = "Requests sent with it.") RequestCounts requests,
    @Schema(description = "Their tokens.") TokenCounts tokens,
    @Schema(description = "Requests whose tokens were estimated.") long estimatedRequests,
    @Schema(description = "success / requests, null without requests.") Double successRate,
    @Schema(description = "failure / requests, null without requests.") Double failureRate,
    @Schema(description = "Upstream 429 answers by kind.") Upstream429s upstream429s,
    @Schema(description = "Sum of upstream latencies / requests, ms; null without requests.")
        Double meanLatencyMs,
    @Schema(description = "When the newest upstream 429 came; null if none (provider keys only).")
        Instant last429At,
    @Schema(description = "Its kind: rpm, concurrency or unknown; null if none.")
        String last429Kind,
    @Schema(description = "When the key was last used; null if never (provider keys only).")
        Instant lastUsedAt,
    @Schema(
            description =
                "Circuit state, 429 cooldown and errors in a row as the data planes report them"
                    + " (provider keys only; null for a group).",
            nullable = true)
        ProviderKeyHealthView health) {

  UpstreamStats withHealth(ProviderKeyHealthView health) {
    return new UpstreamStats(
        id,
        groupId,
        status,
        requests,
        tokens,
        estimatedRequests,
        successRate,
        failureRate,
        upstream429s,
        meanLatencyMs,
        last429At,
        last429Kind,
        lastUsedAt,
        health);
  }
}
