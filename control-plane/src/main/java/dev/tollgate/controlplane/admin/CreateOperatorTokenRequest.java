package dev.tollgate.controlplane.admin;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Body of {@code POST /admin/v1/operator-tokens}. */
public record CreateOperatorTokenRequest(
    @Schema(
            description = "1 to 200 characters: who or what uses it.",
            required = true,
            minLength = 1,
            maxLength = Fields.MAX_NAME_LENGTH)
        String name,
    @Schema(
            description = "viewer (GET only) or admin (everything).",
            required = true,
            enumeration = {"viewer", "admin"})
        String role) {}
