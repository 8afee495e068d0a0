package dev.tollgate.controlplane.admin;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The answer to creating an operator token: the only time the secret {@code token} is shown. */
public record CreatedOperatorTokenView(
    @Schema(description = "The bearer token (tgo-…); shown only here, only its hash is kept.")
        String token,
    @JsonUnwrapped OperatorTokenView details) {}
