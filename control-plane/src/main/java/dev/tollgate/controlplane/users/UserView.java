package dev.tollgate.controlplane.users;

import java.time.Instant;

/** A user as the admin API shows it. */
public record UserView(
    long id,
    String name,
    String status,
    int rpmLimit,
    int concurrencyLimit,
    Instant createdAt,
    Instant updatedAt) {

  static UserView of(AppUser user) {
    return new UserView(
        user.id,
        user.name,
        user.status,
        user.rpmLimit,
        user.concurrencyLimit,
        user.createdAt,
        user.updatedAt);
  }
}
