package dev.tollgate.controlplane.users;

import dev.tollgate.controlplane.admin.Fields;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Body of {@code POST /admin/v1/users}; limits default to 0 (no limit). */
public record CreateUserRequest(
    @Schema(
            description = "1 to 200 characters. Required.",
            minLength = 1,
            maxLength = Fields.MAX_NAME_LENGTH)
        String name,
    @Schema(description = "Requests per minute for all the user's keys together; 0 = no limit.")
        Integer rpmLimit,
    @Schema(description = "Requests in flight for all the user's keys together; 0 = no limit.")
        Integer concurrencyLimit) {}
