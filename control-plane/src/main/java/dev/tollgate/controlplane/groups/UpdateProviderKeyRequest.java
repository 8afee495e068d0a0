package dev.tollgate.controlplane.groups;

import dev.tollgate.controlplane.admin.Fields;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Body of {@code PATCH /admin/v1/provider-keys/{id}}: only the fields present change. The
 * concurrency mode has its own endpoint ({@code PUT /admin/v1/provider-keys/{id}/concurrency}).
 */
@Schema(description = "Fields to change; absent fields stay as they are.")
public record UpdateProviderKeyRequest(
    @Schema(
            description =
                "Absolute http(s) URL such as https://api.openai.com/v1, at most 2048 characters.",
            minLength = 1,
            maxLength = Fields.MAX_URL_LENGTH)
        String baseUrl,
    @Schema(
            description = "A new upstream secret, 1 to 16384 characters (write-only).",
            minLength = 1,
            maxLength = Fields.MAX_SECRET_LENGTH,
            writeOnly = true)
        String secret,
    @Schema(description = "Lower value = tried first.") Integer priority,
    @Schema(description = "Relative share among keys of the same priority, 1..10000.")
        Integer weight,
    @Schema(
            description = "DELETE deletes.",
            enumeration = {"active", "disabled"})
        String status) {}
