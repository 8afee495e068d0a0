package dev.tollgate.controlplane.admin;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.container.ContainerRequestContext;

/**
 * Authenticates an admin request that carries a browser session instead of a bearer token (the
 * operators' console signs in with an operator token and then calls the admin API with a cookie).
 *
 * <p>Contract: {@link #carriesSession} is cheap and never blocks. {@link #operator} resolves the
 * session to the operator whose token opened it, with that token's current role and revocation
 * state, and refuses a change (any method but GET and HEAD) whose CSRF token does not match; it
 * fails with a {@link ProblemException} (401 for a missing, expired or signed-out session, 403 for
 * a CSRF mismatch) and does blocking work off the event loop itself.
 */
public interface SessionAuthenticator {

  /** Whether the request names a session (a cookie); then it is authenticated by it. */
  boolean carriesSession(ContainerRequestContext request);

  /** The operator of the request's session, or a failure with the problem to answer. */
  Uni<Operator> operator(ContainerRequestContext request);
}
