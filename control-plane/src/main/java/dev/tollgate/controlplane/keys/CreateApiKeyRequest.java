package dev.tollgate.controlplane.keys;

import dev.tollgate.controlplane.admin.Fields;
import dev.tollgate.controlplane.admin.ModelName;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Body of {@code POST /admin/v1/keys}. Only user_id, name and group_ids are required; the limits
 * default to "none" (quota_limit -1, rpm_limit, concurrency_limit and tpm_limit 0, empty lists).
 */
public record CreateApiKeyRequest(
    @Schema(description = "The owner (an existing user that is not deleted). Required.")
        Long userId,
    @Schema(
            description = "1 to 200 characters. Required.",
            minLength = 1,
            maxLength = Fields.MAX_NAME_LENGTH)
        String name,
    @Schema(
            description =
                "Provider groups the key may be routed to: at most 100 distinct ids (may be"
                    + " empty). Required.",
            maxItems = Fields.MAX_GROUP_IDS)
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
    @Schema(
            description =
                "Models the key may use, at most 1000 distinct names; empty (default) = every"
                    + " model of its groups.",
            type = SchemaType.ARRAY,
            implementation = ModelName.class,
            maxItems = Fields.MAX_MODELS)
        List<String> allowedModels,
    @Schema(
            description = "At most 256 CIDRs (IPv4 or IPv6) the client must be in; empty = any.",
            type = SchemaType.ARRAY,
            implementation = Cidr.class,
            maxItems = Fields.MAX_CIDRS)
        List<String> ipAllow,
    @Schema(
            description = "At most 256 CIDRs (IPv4 or IPv6) the client must not be in.",
            type = SchemaType.ARRAY,
            implementation = Cidr.class,
            maxItems = Fields.MAX_CIDRS)
        List<String> ipDeny) {}
