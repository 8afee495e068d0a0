package dev.tollgate.controlplane.users;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;

@Path("/admin/v1/users")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class UserResource {

  private final UserService users;

  UserResource(UserService users) {
    this.users = users;
  }

  @POST
  public Response create(CreateUserRequest request) {
    UserView user = users.create(request);
    return Response.created(URI.create("/admin/v1/users/" + user.id())).entity(user).build();
  }

  @GET
  @Path("/{id}")
  public UserView get(@PathParam("id") long id) {
    return users.get(id);
  }
}
