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

@Path("/admin/v1/provider-keys")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class ProviderKeyResource {

  private final ProviderKeyService keys;

  ProviderKeyResource(ProviderKeyService keys) {
    this.keys = keys;
  }

  @POST
  public Response create(CreateProviderKeyRequest request) {
    ProviderKeyView key = keys.create(request);
    return Response.created(URI.create("/admin/v1/provider-keys/" + key.id())).entity(key).build();
  }

  @GET
  @Path("/{id}")
  public ProviderKeyView get(@PathParam("id") long id) {
    return keys.get(id);
  }
}
