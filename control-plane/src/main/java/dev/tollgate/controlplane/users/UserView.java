package dev.tollgate.controlplane.users;

import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A user as the admin API shows it. */
public record UserView(
    long id,
    String name,
    @Schema(description = "active, disabled or deleted.") String status,
    @Schema(description = "Requests per minute for all the user's keys together; 0 = no limit.")
        int rpmLimit,
    @Schema(description = "Requests in flight for all the user's keys together; 0 = no limit.")
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
