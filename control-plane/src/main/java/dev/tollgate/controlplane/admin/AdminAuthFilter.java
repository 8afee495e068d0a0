package dev.tollgate.controlplane.admin;

import dev.tollgate.controlplane.ControlPlaneConfig;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Authenticates every {@code /admin} request and enforces the operator's role.
 *
 * <p>Tokens: the bootstrap TOLLGATE_ADMIN_TOKEN (role admin, compared in constant time on digests,
 * so neither content nor length leaks through timing), or an operator token looked up by its
 * SHA-256 ({@link OperatorTokenService}, cached). Missing or unknown: 401. A {@code viewer} may
 * only read (GET, HEAD); anything else, and every operator-token call, needs {@code admin}: 403. A
 * request without an Authorization header may instead carry a console session ({@link
 * SessionAuthenticator}): the same roles apply to the operator whose token opened it.
 *
 * <p>Pre-matching, so unknown admin paths answer 401 rather than revealing what exists. It runs on
 * the event loop: a token missing from the cache is read on a worker thread.
 */
public class AdminAuthFilter {

  private static final String BEARER = "Bearer ";

  private final byte[] expectedDigest;
  private final OperatorTokenService tokens;
  private final CurrentVertxRequest currentRequest;
  private final SessionAuthenticator sessions;

  AdminAuthFilter(
      ControlPlaneConfig config,
      OperatorTokenService tokens,
      CurrentVertxRequest currentRequest,
      SessionAuthenticator sessions) {
    this.expectedDigest = sha256(config.adminToken());
    this.tokens = tokens;
    this.currentRequest = currentRequest;
    this.sessions = sessions;
  }

  @ServerRequestFilter(preMatching = true)
  public Uni<Response> authenticate(ContainerRequestContext request) {
    String path = request.getUriInfo().getPath();
    if (!path.equals("/admin") && !path.startsWith("/admin/")) {
      return Uni.createFrom().nullItem();
    }
    String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
    RoutingContext context = currentRequest.getCurrent();
    if (header == null && sessions.carriesSession(request)) {
      return sessions
          .operator(request)
          .map(operator -> authorize(request, context, operator))
          .onFailure(ProblemException.class)
          .recoverWithItem(e -> ((ProblemException) e).toProblem().toResponse());
    }
    if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return Uni.createFrom().item(unauthorized());
    }
    byte[] digest = sha256(header.substring(BEARER.length()).trim());
    if (MessageDigest.isEqual(expectedDigest, digest)) {
      return Uni.createFrom().item(authorize(request, context, Operator.BOOTSTRAP));
    }
    String hash = HexFormat.of().formatHex(digest);
    Optional<Operator> cached = tokens.cached(hash);
    if (cached != null) {
      return Uni.createFrom().item(authorize(request, context, cached.orElse(null)));
    }
    return Uni.createFrom()
        .item(() -> tokens.lookup(hash))
        .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
        .map(found -> authorize(request, context, found.orElse(null)));
  }

  /** Null (go on) when the operator may make this request, else the 401 or 403 answer. */
  private static Response authorize(
      ContainerRequestContext request, RoutingContext context, Operator operator) {
    if (operator == null) {
      return unauthorized();
    }
    String method = request.getMethod();
    boolean read = method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD);
    boolean operatorTokens = request.getUriInfo().getPath().startsWith("/admin/v1/operator-tokens");
    if (!operator.isAdmin() && (!read || operatorTokens)) {
      return Problem.of(
              403,
              "Forbidden",
              operatorTokens
                  ? "operator tokens are managed with an admin token"
                  : "a viewer token may only read (GET); this needs an admin token",
              HttpHeaders.AUTHORIZATION)
          .toResponse();
    }
    if (context != null) {
      context.put(CurrentOperator.KEY, operator);
    }
    return null;
  }

  private static Response unauthorized() {
    return Response.fromResponse(
            Problem.of(
                    401,
                    "Unauthorized",
                    "send Authorization: Bearer <operator token>",
                    HttpHeaders.AUTHORIZATION)
                .toResponse())
        .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
        .build();
  }

  /** SHA-256 of the UTF-8 bytes; shared by the admin filter and the gRPC token interceptor. */
  public static byte[] sha256(String value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform provides SHA-256", e);
    }
  }
}
