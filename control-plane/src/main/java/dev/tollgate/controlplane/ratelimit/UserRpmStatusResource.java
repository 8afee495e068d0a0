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

/** rpm-status of a user; see {@link KeyRpmStatusResource} for why a class of its own. */
@Path("/admin/v1/users/{id}/rpm-status")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "rpm-status", description = "This minute's use of requests-per-minute limits.")
public class UserRpmStatusResource {

  private final RpmStatusService status;

  UserRpmStatusResource(RpmStatusService status) {
    this.status = status;
  }

  @GET
  @Operation(
      summary = "This minute's use of every RPM limit of a user",
      description =
          "The user's own limit and, for each provider group its keys are bound to or it has an"
              + " override for, the group's limit or the (user, group) override.")
  @APIResponse(responseCode = "200", description = "The limits and their use.")
  @APIResponse(
      responseCode = "404",
      description = "No such user.",
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
  public RpmStatusView ofUser(@PathParam("id") long id) {
    return status.ofUser(id);
  }
}
