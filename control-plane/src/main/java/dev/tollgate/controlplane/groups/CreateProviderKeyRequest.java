package dev.tollgate.controlplane.groups;

/** Body of {@code POST /admin/v1/provider-keys}; max_concurrent absent = adaptive. */
public record CreateProviderKeyRequest(
    Long groupId,
    String baseUrl,
    String secret,
    Integer priority,
    Integer weight,
    Integer maxConcurrent) {}
