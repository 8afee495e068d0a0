package dev.tollgate.controlplane.users;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The (user, group) overrides seen from the provider group. */
@Path("/admin/v1/provider-groups/{id}/user-limits")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "group limits")
@APIResponse(responseCode = "401", description = "No or unknown operator token")
public class GroupUserLimitResource {

  private final GroupLimitService limits;

  GroupUserLimitResource(GroupLimitService limits) {
    this.limits = limits;
  }

  @GET
  @Operation(summary = "The overrides users have in this provider group")
  @APIResponse(responseCode = "404", description = "No such group")
  public Map<String, List<GroupLimitView>> forGroup(@PathParam("id") long groupId) {
    return Map.of("items", limits.forGroup(groupId));
  }
}
