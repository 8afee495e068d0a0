package dev.tollgate.controlplane.users;

import dev.tollgate.controlplane.admin.Fields;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Body of {@code PATCH /admin/v1/users/{id}}: only the fields present change. */
@Schema(description = "Fields to change; absent fields stay as they are.")
public record UpdateUserRequest(
    @Schema(description = "1 to 200 characters.", minLength = 1, maxLength = Fields.MAX_NAME_LENGTH)
        String name,
    @Schema(
            description = "DELETE deletes.",
            enumeration = {"active", "disabled"})
        String status,
    @Schema(description = "Requests per minute for all the user's keys together; 0 = no limit.")
        Integer rpmLimit,
    @Schema(description = "Requests in flight for all the user's keys together; 0 = no limit.")
        Integer concurrencyLimit) {}
