package dev.tollgate.controlplane.users;

import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A (user, provider group) requests-per-minute override. */
public record GroupLimitView(
    long userId,
    long groupId,
    @Schema(
            description = "null = inherit the group's rpm_limit, 0 = exempt, > 0 = limit",
            nullable = true)
        Integer rpmOverride,
    Instant createdAt,
    Instant updatedAt) {}
