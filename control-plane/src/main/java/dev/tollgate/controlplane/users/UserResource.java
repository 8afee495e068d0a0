package dev.tollgate.controlplane.users;

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

@Path("/admin/v1/users")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "users", description = "Owners of api keys (tenants)")
@APIResponse(
    responseCode = "400",
    description = "A bad body field or query parameter, named in field",
    content =
        @Content(
            mediaType = "application/problem+json",
            schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "401", description = "No or unknown operator token")
@APIResponse(responseCode = "403", description = "A viewer token on a mutation")
public class UserResource {

  private final UserService users;

  UserResource(UserService users) {
    this.users = users;
  }

  @POST
  @Operation(summary = "Create a user")
  @APIResponse(
      responseCode = "201",
      content = @Content(schema = @Schema(implementation = UserView.class)))
  public Response create(CreateUserRequest request) {
    UserView user = users.create(request);
    return Response.created(URI.create("/admin/v1/users/" + user.id())).entity(user).build();
  }

  @GET
  @Operation(
      summary = "List users",
      description =
          "Page mode (page, page_size) or cursor mode (cursor, limit); filters status,"
              + " exclude_statuses (deleted users are left out unless asked for), search (name),"
              + " created_from/created_to; sort = created, order = asc|desc.")
  @APIResponse(
      responseCode = "200",
      description = "PageView in page mode, CursorPageView in cursor mode",
      content = @Content(schema = @Schema(oneOf = {PageView.class, CursorPageView.class})))
  public Object list(@BeanParam ListParams params) {
    return users.list(ListRequest.parse(params, UserService.SPEC));
  }

  @GET
  @Path("/{id}")
  @Operation(summary = "A user")
  @APIResponse(responseCode = "404", description = "No such user")
  public UserView get(@PathParam("id") long id) {
    return users.get(id);
  }

  @PATCH
  @Path("/{id}")
  @Operation(summary = "Change a user's name, status or limits")
  @APIResponse(responseCode = "404", description = "No such user")
  @APIResponse(responseCode = "409", description = "The user is deleted")
  public UserView update(@PathParam("id") long id, UpdateUserRequest request) {
    return users.update(id, request);
  }

  @DELETE
  @Path("/{id}")
  @Operation(
      summary = "Delete a user and revoke its keys",
      description =
          "The user is kept with status deleted (data planes drop it); every key of the user that"
              + " is not revoked yet is revoked in the same transaction.")
  @APIResponse(responseCode = "204", description = "Deleted (also when it already was)")
  @APIResponse(responseCode = "404", description = "No such user")
  public Response delete(@PathParam("id") long id) {
    users.delete(id);
    return Response.noContent().build();
  }
}
