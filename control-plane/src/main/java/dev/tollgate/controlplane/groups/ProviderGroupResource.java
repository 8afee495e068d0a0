package dev.tollgate.controlplane.groups;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;

@Path("/admin/v1/provider-groups")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class ProviderGroupResource {

  private final ProviderGroupService groups;

  ProviderGroupResource(ProviderGroupService groups) {
    this.groups = groups;
  }

  @POST
  public Response create(CreateProviderGroupRequest request) {
    ProviderGroupView group = groups.create(request);
    return Response.created(URI.create("/admin/v1/provider-groups/" + group.id()))
        .entity(group)
        .build();
  }

  @GET
  @Path("/{id}")
  public ProviderGroupView get(@PathParam("id") long id) {
    return groups.get(id);
  }
}
