package dev.tollgate.controlplane.keys;

import java.time.Instant;
import java.util.List;

/**
 * Body of {@code POST /admin/v1/keys}. Only user_id, name and group_ids are required; the limits
 * default to "none" (quota_limit -1, rpm_limit and concurrency_limit 0, empty lists).
 */
public record CreateApiKeyRequest(
    Long userId,
    String name,
    List<Long> groupIds,
    Instant expiresAt,
    Long quotaLimit,
    Integer rpmLimit,
    Integer concurrencyLimit,
    List<String> allowedModels,
    List<String> ipAllow,
    List<String> ipDeny) {}
