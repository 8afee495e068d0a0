package dev.tollgate.controlplane.console;

import io.smallrye.common.annotation.NonBlocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * The console: one page for every console URL (the browser renders the view the path and query
 * name), and its scripts and style sheet under a versioned path.
 *
 * <p>Headers: a Content-Security-Policy that lets the page run only its own scripts and styles from
 * this origin (no inline script, no eval, nothing from elsewhere), talk only to this origin, and
 * not be framed; no caching of the page, and caching for good of versioned assets.
 */
@Path("/console")
public class ConsoleResource {

  static final String CONTENT_SECURITY_POLICY =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

  private final ConsoleAssets assets;

  ConsoleResource(ConsoleAssets assets) {
    this.assets = assets;
  }

  @GET
  @NonBlocking
  @Operation(hidden = true)
  public Response root() {
    return page();
  }

  /** The views: each is the same page, which reads the path. */
  @GET
  @Path(
      "{view: (sign-in|keys|users|providers|errors|audit|tokens)"
          + "|(keys|users|provider-keys)/[0-9]{1,18}}")
  @NonBlocking
  @Operation(hidden = true)
  public Response view(@PathParam("view") String view) {
    return page();
  }

  @GET
  @Path("assets/{version: [0-9a-f]{16}}/{name: [a-z0-9-]+(/[a-z0-9-]+)*\\.(js|css)}")
  @NonBlocking
  @Operation(hidden = true)
  public Response asset(@PathParam("version") String version, @PathParam("name") String name) {
    ConsoleAssets.Asset asset = assets.asset(version, name);
    if (asset == null) {
      // Not a problem document: this is no API, and a stale version is a reload away.
      return Response.status(404).type("text/plain").entity("no such console file\n").build();
    }
    return secured(Response.ok(asset.body(), asset.contentType()))
        .header("Cache-Control", "public, max-age=31536000, immutable")
        .build();
  }

  private Response page() {
    return secured(Response.ok(assets.page(), "text/html; charset=utf-8"))
        .header("Cache-Control", "no-store")
        .build();
  }

  private static Response.ResponseBuilder secured(Response.ResponseBuilder response) {
    return response
        .header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .header("X-Content-Type-Options", "nosniff")
        .header("X-Frame-Options", "DENY")
        .header("Referrer-Policy", "no-referrer");
  }
}
