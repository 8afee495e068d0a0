package dev.tollgate.controlplane.keys;

import java.time.Instant;
import java.util.List;

/**
 * Body of {@code POST /admin/v1/keys}. Only user_id, name and group_ids are required; the limits
 * default to "none" (quota_limit -1, rpm_limit, concurrency_limit and tpm_limit 0, empty lists).
 */
public record CreateApiKeyRequest(
    Long userId,
    String name,
    List<Long> groupIds,
    Instant expiresAt,
    Long quotaLimit,
    Integer rpmLimit,
    Integer concurrencyLimit,
    Integer tpmLimit,
    List<String> allowedModels,
    List<String> ipAllow,
    List<String> ipDeny) {}
