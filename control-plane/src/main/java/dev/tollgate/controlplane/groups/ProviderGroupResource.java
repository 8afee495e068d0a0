package dev.tollgate.controlplane.groups;

import dev.tollgate.controlplane.admin.CursorPageView;
import dev.tollgate.controlplane.admin.ListParams;
import dev.tollgate.controlplane.admin.ListRequest;
import dev.tollgate.controlplane.admin.PageView;
import dev.tollgate.controlplane.admin.Problem;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/admin/v1/provider-groups")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "provider groups", description = "Pools of upstream credentials for one platform")
@APIResponse(
    responseCode = "400",
    description = "A bad body field or query parameter, named in field",
    content =
        @Content(
            mediaType = "application/problem+json",
            schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "401", description = "No or unknown operator token")
@APIResponse(responseCode = "403", description = "A viewer token on a mutation")
public class ProviderGroupResource {

  private final ProviderGroupService groups;

  ProviderGroupResource(ProviderGroupService groups) {
    this.groups = groups;
  }

  @POST
  @Operation(summary = "Create a provider group")
  @APIResponse(
      responseCode = "201",
      content = @Content(schema = @Schema(implementation = ProviderGroupView.class)))
  @APIResponse(responseCode = "409", description = "A group with this name exists")
  public Response create(CreateProviderGroupRequest request) {
    ProviderGroupView group = groups.create(request);
    return Response.created(URI.create("/admin/v1/provider-groups/" + group.id()))
        .entity(group)
        .build();
  }

  @GET
  @Operation(
      summary = "List provider groups",
      description =
          "Page mode (page, page_size) or cursor mode (cursor, limit); filters status,"
              + " exclude_statuses (deleted groups are left out unless asked for), search (name),"
              + " created_from/created_to; sort = created|requests|tokens, order = asc|desc.")
  @APIResponse(
      responseCode = "200",
      description = "PageView in page mode, CursorPageView in cursor mode",
      content = @Content(schema = @Schema(oneOf = {PageView.class, CursorPageView.class})))
  public Object list(@BeanParam ListParams params) {
    return groups.list(ListRequest.parse(params, ProviderGroupService.SPEC));
  }

  @GET
  @Path("/{id}")
  @Operation(summary = "A provider group with its counters")
  @APIResponse(responseCode = "404", description = "No such group")
  public ProviderGroupView get(@PathParam("id") long id) {
    return groups.get(id);
  }

  @PATCH
  @Path("/{id}")
  @Operation(summary = "Change a provider group")
  @APIResponse(responseCode = "404", description = "No such group")
  @APIResponse(responseCode = "409", description = "The group is deleted, or the name is taken")
  public ProviderGroupView update(@PathParam("id") long id, UpdateProviderGroupRequest request) {
    return groups.update(id, request);
  }

  @DELETE
  @Path("/{id}")
  @Operation(
      summary = "Delete a provider group",
      description =
          "Kept with status deleted; data planes drop it. Refused while provider keys that are"
              + " not deleted belong to it or another group falls back to it.")
  @APIResponse(responseCode = "204", description = "Deleted (also when it already was)")
  @APIResponse(responseCode = "404", description = "No such group")
  @APIResponse(responseCode = "409", description = "Provider keys or fallbacks still use it")
  public Response delete(@PathParam("id") long id) {
    groups.delete(id);
    return Response.noContent().build();
  }
}
