package dev.tollgate.controlplane.keys;

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

@Path("/admin/v1/keys")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class ApiKeyResource {

  private final ApiKeyService keys;

  ApiKeyResource(ApiKeyService keys) {
    this.keys = keys;
  }

  @POST
  public Response create(CreateApiKeyRequest request) {
    CreatedApiKeyView created = keys.create(request);
    return Response.created(URI.create("/admin/v1/keys/" + created.details().id()))
        .entity(created)
        .build();
  }

  @GET
  @Path("/{id}")
  public ApiKeyView get(@PathParam("id") long id) {
    return keys.get(id);
  }

  @PATCH
  @Path("/{id}")
  public ApiKeyView update(@PathParam("id") long id, UpdateApiKeyRequest request) {
    return keys.update(id, request);
  }

  @DELETE
  @Path("/{id}")
  public Response revoke(@PathParam("id") long id) {
    keys.revoke(id);
    return Response.noContent().build();
  }
}
