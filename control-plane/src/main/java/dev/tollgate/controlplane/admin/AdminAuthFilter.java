package dev.tollgate.controlplane.admin;

import dev.tollgate.controlplane.ControlPlaneConfig;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Requires {@code Authorization: Bearer <TOLLGATE_ADMIN_TOKEN>} on every {@code /admin} path.
 *
 * <p>Pre-matching, so unknown admin paths answer 401 rather than revealing what exists. Both sides
 * are hashed before the constant-time comparison so neither content nor length leaks through
 * timing.
 */
public class AdminAuthFilter {

  private static final String BEARER = "Bearer ";

  private final byte[] expectedDigest;

  AdminAuthFilter(ControlPlaneConfig config) {
    this.expectedDigest = sha256(config.adminToken());
  }

  @ServerRequestFilter(preMatching = true)
  public Response authenticate(ContainerRequestContext request) {
    String path = request.getUriInfo().getPath();
    if (!path.equals("/admin") && !path.startsWith("/admin/")) {
      return null;
    }
    String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
    if (header != null
        && header.regionMatches(true, 0, BEARER, 0, BEARER.length())
        && MessageDigest.isEqual(
            expectedDigest, sha256(header.substring(BEARER.length()).trim()))) {
      return null;
    }
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
