package dev.tollgate.controlplane.keys;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.tollgate.controlplane.usage.UsageCounters;
import java.time.Instant;
import java.util.List;

/** An api key as the admin API shows it: never the secret or its hash. */
public record ApiKeyView(
    long id,
    String name,
    String prefix,
    long userId,
    List<Long> groupIds,
    String status,
    Instant expiresAt,
    long quotaLimit,
    long quotaUsed,
    int rpmLimit,
    int concurrencyLimit,
    int tpmLimit,
    List<String> allowedModels,
    List<String> ipAllow,
    List<String> ipDeny,
    @JsonUnwrapped UsageCounters usage,
    Instant lastAccessedAt,
    Instant createdAt,
    Instant updatedAt) {

  static ApiKeyView of(ApiKey key) {
    return new ApiKeyView(
        key.id,
        key.name,
        key.prefix,
        key.userId,
        key.groupIds.stream().sorted().toList(),
        key.status,
        key.expiresAt,
        key.quotaLimit,
        key.quotaUsed,
        key.rpmLimit,
        key.concurrencyLimit,
        key.tpmLimit,
        List.of(key.allowedModels),
        List.of(key.ipAllow),
        List.of(key.ipDeny),
        key.usage,
        key.lastAccessedAt,
        key.createdAt,
        key.updatedAt);
  }
}
