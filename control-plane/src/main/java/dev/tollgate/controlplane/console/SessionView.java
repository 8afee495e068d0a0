package dev.tollgate.controlplane.console;

import java.time.Instant;

/**
 * Who is signed in to the console: the actor as the audit log names it, the role, the CSRF token
 * every change must send in {@code X-CSRF-Token}, and when the session ends if left unused.
 */
public record SessionView(String actor, String role, String csrfToken, Instant expiresAt) {

  static SessionView of(ConsoleSessionService.Session session) {
    return new SessionView(
        session.operator().actor(),
        session.operator().role(),
        session.csrfToken(),
        session.expiresAt());
  }
}
