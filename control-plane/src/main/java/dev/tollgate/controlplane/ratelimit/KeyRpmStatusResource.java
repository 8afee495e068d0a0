package dev.tollgate.controlplane.ratelimit;

import dev.tollgate.controlplane.admin.Problem;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * rpm-status of a key. A class of its own, with the whole path at class level: JAX-RS matches the
 * class first (the longest literal path wins) and only then its methods, so a method under
 * ApiKeyResource's "/admin/v1/keys" would be needed otherwise; this keeps the Redis-reading
 * endpoint out of the key CRUD.
 */
@Path("/admin/v1/keys/{id}/rpm-status")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "rpm-status", description = "This minute's use of requests-per-minute limits.")
public class KeyRpmStatusResource {

  private final RpmStatusService status;

  KeyRpmStatusResource(RpmStatusService status) {
    this.status = status;
  }

  @GET
  @Operation(
      summary = "This minute's use of every RPM limit of a key",
      description =
          "The key's own limit, its user's, and for each provider group it is bound to the group's"
              + " limit or the (user, group) override. Read from the data planes' counters in"
              + " Redis; reading counts no request.")
  @APIResponse(responseCode = "200", description = "The limits and their use.")
  @APIResponse(
      responseCode = "404",
      description = "No such key.",
      content =
          @Content(
              mediaType = "application/problem+json",
              schema = @Schema(implementation = Problem.class)))
  @APIResponse(
      responseCode = "503",
      description = "Redis is unreachable.",
      content =
          @Content(
              mediaType = "application/problem+json",
              schema = @Schema(implementation = Problem.class)))
  public RpmStatusView ofKey(@PathParam("id") long id) {
    return status.ofKey(id);
  }
}
