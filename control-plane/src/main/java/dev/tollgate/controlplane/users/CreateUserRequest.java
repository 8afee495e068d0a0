package dev.tollgate.controlplane.users;

/** Body of {@code POST /admin/v1/users}; limits default to 0 (no limit). */
public record CreateUserRequest(String name, Integer rpmLimit, Integer concurrencyLimit) {}
