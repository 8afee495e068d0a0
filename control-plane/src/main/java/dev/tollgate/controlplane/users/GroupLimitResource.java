package dev.tollgate.controlplane.users;

import dev.tollgate.controlplane.admin.Problem;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * (user, provider group) requests-per-minute overrides, under the user. Its own class with the
 * whole prefix as path: JAX-RS picks the resource class by its path first, and UserResource's
 * shorter path would otherwise take these requests and find no method for them.
 */
@Path("/admin/v1/users/{id}/group-limits")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "group limits", description = "Per-user RPM overrides of a provider group's limit")
@APIResponse(
    responseCode = "400",
    description = "A bad body field, named in field",
    content =
        @Content(
            mediaType = "application/problem+json",
            schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "401", description = "No or unknown operator token")
@APIResponse(responseCode = "403", description = "A viewer token on a mutation")
public class GroupLimitResource {

  private final GroupLimitService limits;

  GroupLimitResource(GroupLimitService limits) {
    this.limits = limits;
  }

  @PUT
  @Path("/{group_id}")
  @Operation(
      summary = "Set the user's RPM override in a provider group",
      description = "rpm_override null inherits the group's rpm_limit, 0 exempts, > 0 limits.")
  @APIResponse(responseCode = "404", description = "No such user or group")
  @APIResponse(responseCode = "409", description = "The user is deleted")
  public GroupLimitView put(
      @PathParam("id") long userId, @PathParam("group_id") long groupId, GroupLimitRequest body) {
    return limits.put(userId, groupId, body);
  }

  @GET
  @Operation(summary = "The user's overrides, one per provider group that has one")
  @APIResponse(responseCode = "404", description = "No such user")
  public Map<String, List<GroupLimitView>> forUser(@PathParam("id") long userId) {
    return Map.of("items", limits.forUser(userId));
  }

  @DELETE
  @Path("/{group_id}")
  @Operation(summary = "Clear the override (rpm_override becomes null: inherit)")
  @APIResponse(responseCode = "204", description = "Cleared")
  @APIResponse(responseCode = "404", description = "No such override")
  public Response clear(@PathParam("id") long userId, @PathParam("group_id") long groupId) {
    limits.clear(userId, groupId);
    return Response.noContent().build();
  }
}
