package dev.tollgate.controlplane.keys;

import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Body of {@code POST /admin/v1/keys}. Only user_id, name and group_ids are required; the limits
 * default to "none" (quota_limit -1, rpm_limit, concurrency_limit and tpm_limit 0, empty lists).
 */
public record CreateApiKeyRequest(
    @Schema(description = "The owner (an existing user that is not deleted). Required.")
        Long userId,
    @Schema(description = "1 to 200 characters. Required.") String name,
    @Schema(description = "Provider groups the key may be routed to (may be empty). Required.")
        List<Long> groupIds,
    @Schema(
            description =
                "ISO-8601 instant in the future after which the key is refused; absent = never.")
        Instant expiresAt,
    @Schema(description = "Tokens the key may use in all; -1 (default) = unlimited.")
        Long quotaLimit,
    @Schema(description = "Requests per minute; 0 (default) = no limit.") Integer rpmLimit,
    @Schema(description = "Requests in flight; 0 (default) = no limit.") Integer concurrencyLimit,
    @Schema(description = "Tokens per minute, charged after each response; 0 (default) = no limit.")
        Integer tpmLimit,
    @Schema(description = "Models the key may use; empty (default) = every model of its groups.")
        List<String> allowedModels,
    @Schema(description = "CIDRs (IPv4 or IPv6) the client must be in; empty = any.")
        List<String> ipAllow,
    @Schema(description = "CIDRs (IPv4 or IPv6) the client must not be in.") List<String> ipDeny) {}
