package dev.tollgate.controlplane.keys;

/** Body of {@code PATCH /admin/v1/keys/{id}}: "active" or "disabled". */
public record UpdateApiKeyRequest(String status) {}
