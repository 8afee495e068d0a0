package dev.tollgate.controlplane.groups;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.tollgate.controlplane.usage.UsageCounters;
import java.time.Instant;

/**
 * A provider key as the admin API shows it: never the secret, only "…" and its last 4 characters.
 */
public record ProviderKeyView(
    long id,
    long groupId,
    String baseUrl,
    String secretHint,
    int priority,
    int weight,
    String status,
    Integer maxConcurrent,
    Integer learnedMaxConcurrent,
    Instant learningResetAt,
    @JsonUnwrapped UsageCounters usage,
    Instant lastUsedAt,
    Instant createdAt,
    Instant updatedAt) {

  static ProviderKeyView of(ProviderKey key) {
    return new ProviderKeyView(
        key.id,
        key.groupId,
        key.baseUrl,
        "…" + key.secretHint,
        key.priority,
        key.weight,
        key.status,
        key.maxConcurrent,
        key.learnedMaxConcurrent,
        key.learningResetAt,
        key.usage,
        key.lastUsedAt,
        key.createdAt,
        key.updatedAt);
  }
}
