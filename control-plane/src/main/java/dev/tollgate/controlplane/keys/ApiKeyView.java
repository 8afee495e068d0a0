package dev.tollgate.controlplane.keys;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.tollgate.controlplane.usage.UsageCounters;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** An api key as the admin API shows it: never the secret or its hash. */
public record ApiKeyView(
    long id,
    String name,
    @Schema(description = "The secret's first 11 characters (tg-…), to recognise the key.")
        String prefix,
    long userId,
    @Schema(description = "Provider groups the key may be routed to.") List<Long> groupIds,
    @Schema(description = "active, disabled, expired, quota_exhausted or revoked.") String status,
    @Schema(description = "When the key stops working; null = never.") Instant expiresAt,
    @Schema(description = "Tokens the key may use in all; -1 = unlimited.") long quotaLimit,
    @Schema(
            description =
                "Tokens used so far (advanced by the usage flush; reset-quota sets it to 0).")
        long quotaUsed,
    @Schema(description = "Requests per minute; 0 = no limit.") int rpmLimit,
    @Schema(description = "Requests in flight; 0 = no limit.") int concurrencyLimit,
    @Schema(description = "Tokens per minute, charged after each response; 0 = no limit.")
        int tpmLimit,
    @Schema(description = "Models the key may use; empty = every model of its groups.")
        List<String> allowedModels,
    @Schema(description = "CIDRs the client must be in; empty = any.") List<String> ipAllow,
    @Schema(description = "CIDRs the client must not be in.") List<String> ipDeny,
    @JsonUnwrapped UsageCounters usage,
    @Schema(description = "Last request the data planes counted; null = never used.")
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
