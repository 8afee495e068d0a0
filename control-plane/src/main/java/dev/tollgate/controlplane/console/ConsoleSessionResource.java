package dev.tollgate.controlplane.console;

import dev.tollgate.controlplane.ControlPlaneConfig;
import dev.tollgate.controlplane.admin.Fields;
import dev.tollgate.controlplane.admin.ProblemException;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * Signing in to the console and out of it. Not part of the admin API (hidden from its OpenAPI
 * document): the console's pages call {@code /admin/v1} with the cookie this sets.
 *
 * <p>The cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it),
 * Path=/ (it reaches {@code /admin/v1}), a browser-session cookie, and Secure over HTTPS.
 */
@Path("/console/session")
@Produces(MediaType.APPLICATION_JSON)
public class ConsoleSessionResource {

  private static final CacheControl NO_STORE = CacheControl.valueOf("no-store");

  private final ConsoleSessionService sessions;
  private final Optional<Boolean> secureCookie;

  ConsoleSessionResource(ConsoleSessionService sessions, ControlPlaneConfig config) {
    this.sessions = sessions;
    this.secureCookie = config.console().secureCookie();
  }

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(hidden = true)
  public Response signIn(
      SignInRequest request, @HeaderParam("Origin") String origin, @Context UriInfo uri) {
    // Login CSRF: another site's page must not sign this browser in to someone else's session.
    // Browsers send Origin on every cross-origin POST; another host is refused. Only the host is
    // compared: behind a TLS-terminating proxy the scheme and port we see differ from the
    // browser's.
    if (origin != null && !sameHost(origin, uri.getBaseUri())) {
      throw new ProblemException(
          403, "Forbidden", "sign-in is only accepted from the console's own origin", "Origin");
    }
    Fields.required("body", request);
    String token = Fields.required("token", request.token());
    ConsoleSessionService.Session session = sessions.signIn(token.trim());
    return Response.ok(SessionView.of(session))
        .cookie(cookie(session.id(), uri, false))
        .cacheControl(NO_STORE)
        .build();
  }

  @GET
  @Operation(hidden = true)
  public Uni<Response> current(@CookieParam(ConsoleSessionService.COOKIE) String id) {
    return sessions
        .current(id)
        .map(session -> Response.ok(SessionView.of(session)).cacheControl(NO_STORE).build());
  }

  @DELETE
  @Operation(hidden = true)
  public Response signOut(
      @CookieParam(ConsoleSessionService.COOKIE) String id,
      @HeaderParam(ConsoleSessionService.CSRF_HEADER) String csrf,
      @Context UriInfo uri) {
    if (id != null && !id.isEmpty()) {
      // Else another site could sign the operator out (SameSite already stops that in browsers
      // that honour it; this does not depend on it).
      if (!sessions.csrfMatches(id, csrf)) {
        throw ConsoleSessionService.csrfRefused();
      }
      sessions.signOut(id);
    }
    return Response.noContent().cookie(cookie("", uri, true)).cacheControl(NO_STORE).build();
  }

  private NewCookie cookie(String value, UriInfo uri, boolean expired) {
    NewCookie.Builder cookie =
        new NewCookie.Builder(ConsoleSessionService.COOKIE)
            .value(value)
            .path("/")
            .httpOnly(true)
            .sameSite(NewCookie.SameSite.STRICT)
            .secure(secureCookie.orElse("https".equals(uri.getBaseUri().getScheme())));
    if (expired) {
      cookie.maxAge(0);
    }
    return cookie.build();
  }

  private static boolean sameHost(String origin, URI base) {
    try {
      String host = URI.create(origin).getHost();
      return host != null && host.equalsIgnoreCase(base.getHost());
    } catch (IllegalArgumentException notAUri) {
      return false;
    }
  }
}
