package dev.tollgate.controlplane.groups;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Body of {@code PUT /admin/v1/provider-keys/{id}/concurrency}. */
@Schema(description = "{\"mode\":\"adaptive\"} or {\"mode\":\"fixed\",\"limit\":1..1000}.")
public record ConcurrencyRequest(
    @Schema(
            description = "adaptive (the data planes learn the limit) or fixed.",
            enumeration = {"adaptive", "fixed"},
            required = true)
        String mode,
    @Schema(description = "With fixed only: requests in flight, 1..1000.") Integer limit) {}
