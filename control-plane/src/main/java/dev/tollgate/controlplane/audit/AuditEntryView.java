package dev.tollgate.controlplane.audit;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One audit log entry. */
public record AuditEntryView(
    long id,
    Instant occurredAt,
    @Schema(description = "bootstrap (TOLLGATE_ADMIN_TOKEN), token:<id> (an operator token)")
        String actor,
    @Schema(description = "create, update, delete, revoke, rotate, reset_quota, …") String action,
    @Schema(description = "user, api_key, provider_group, provider_key, user_group_limit, …")
        String entityType,
    String entityId,
    @Schema(description = "The resource before, as the admin API shows it; null for a creation")
        JsonNode before,
    @Schema(description = "The resource after, as the admin API shows it") JsonNode after) {}
