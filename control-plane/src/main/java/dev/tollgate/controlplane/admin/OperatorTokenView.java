package dev.tollgate.controlplane.admin;

import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** An operator token as the admin API shows it: never the secret or its hash. */
public record OperatorTokenView(
    long id,
    String name,
    @Schema(description = "viewer (GET only) or admin (everything)") String role,
    @Schema(description = "The token's first characters (tgo-…), to recognise it.") String prefix,
    @Schema(description = "bootstrap or token:<id> of the operator who created it")
        String createdBy,
    Instant createdAt,
    @Schema(description = "When it was revoked; null while it works", nullable = true)
        Instant revokedAt) {}
