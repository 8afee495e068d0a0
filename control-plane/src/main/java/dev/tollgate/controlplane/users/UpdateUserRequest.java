package dev.tollgate.controlplane.users;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Body of {@code PATCH /admin/v1/users/{id}}: only the fields present change. */
@Schema(description = "Fields to change; absent fields stay as they are.")
public record UpdateUserRequest(
    @Schema(description = "1 to 200 characters.") String name,
    @Schema(description = "active or disabled (DELETE deletes).") String status,
    @Schema(description = "Requests per minute for all the user's keys together; 0 = no limit.")
        Integer rpmLimit,
    @Schema(description = "Requests in flight for all the user's keys together; 0 = no limit.")
        Integer concurrencyLimit) {}
