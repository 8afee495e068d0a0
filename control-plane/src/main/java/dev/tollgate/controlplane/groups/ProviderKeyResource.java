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
import jakarta.ws.rs.PUT;
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

@Path("/admin/v1/provider-keys")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "provider keys", description = "Upstream credentials; the secret is write-only")
@APIResponse(
    responseCode = "400",
    description = "A bad body field or query parameter, named in field",
    content =
        @Content(
            mediaType = "application/problem+json",
            schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "401", description = "No or unknown operator token")
@APIResponse(responseCode = "403", description = "A viewer token on a mutation")
public class ProviderKeyResource {

  private final ProviderKeyService keys;

  ProviderKeyResource(ProviderKeyService keys) {
    this.keys = keys;
  }

  @POST
  @Operation(summary = "Create a provider key; the secret is encrypted at rest, never returned")
  @APIResponse(
      responseCode = "201",
      content = @Content(schema = @Schema(implementation = ProviderKeyView.class)))
  public Response create(CreateProviderKeyRequest request) {
    ProviderKeyView key = keys.create(request);
    return Response.created(URI.create("/admin/v1/provider-keys/" + key.id())).entity(key).build();
  }

  @GET
  @Operation(
      summary = "List provider keys",
      description =
          "Page mode (page, page_size) or cursor mode (cursor, limit); filters group_id, status,"
              + " exclude_statuses (deleted keys are left out unless asked for),"
              + " created_from/created_to, last_used_from/last_used_to; sort ="
              + " created|last_used|requests|tokens, order = asc|desc.")
  @APIResponse(
      responseCode = "200",
      description = "PageView in page mode, CursorPageView in cursor mode",
      content = @Content(schema = @Schema(oneOf = {PageView.class, CursorPageView.class})))
  public Object list(@BeanParam ListParams params) {
    return keys.list(ListRequest.parse(params, ProviderKeyService.SPEC));
  }

  @GET
  @Path("/{id}")
  @Operation(summary = "A provider key with its counters (the secret masked: …abcd)")
  @APIResponse(responseCode = "404", description = "No such provider key")
  public ProviderKeyView get(@PathParam("id") long id) {
    return keys.get(id);
  }

  @PATCH
  @Path("/{id}")
  @Operation(summary = "Change a provider key's base_url, secret, priority, weight or status")
  @APIResponse(responseCode = "404", description = "No such provider key")
  @APIResponse(responseCode = "409", description = "The provider key is deleted")
  public ProviderKeyView update(@PathParam("id") long id, UpdateProviderKeyRequest request) {
    return keys.update(id, request);
  }

  @PUT
  @Path("/{id}/concurrency")
  @Operation(
      summary = "Switch between adaptive and fixed concurrency",
      description =
          "{\"mode\":\"adaptive\"} lets the data planes learn the limit (max_concurrent null);"
              + " {\"mode\":\"fixed\",\"limit\":n} (1..1000) applies at once on every data plane.")
  @APIResponse(responseCode = "404", description = "No such provider key")
  @APIResponse(responseCode = "409", description = "The provider key is deleted")
  public ProviderKeyView setConcurrency(@PathParam("id") long id, ConcurrencyRequest request) {
    return keys.setConcurrency(id, request);
  }

  @POST
  @Path("/{id}/concurrency/reset")
  @Operation(
      summary = "Forget the learned concurrency limit, keeping the mode",
      description =
          "learned_max_concurrent becomes null and learning_reset_at now; data planes discard"
              + " learned state older than that.")
  @APIResponse(responseCode = "404", description = "No such provider key")
  @APIResponse(responseCode = "409", description = "The provider key is deleted")
  public ProviderKeyView resetLearning(@PathParam("id") long id) {
    return keys.resetLearning(id);
  }

  @DELETE
  @Path("/{id}")
  @Operation(summary = "Delete a provider key (kept with status deleted; data planes drop it)")
  @APIResponse(responseCode = "204", description = "Deleted (also when it already was)")
  @APIResponse(responseCode = "404", description = "No such provider key")
  public Response delete(@PathParam("id") long id) {
    keys.delete(id);
    return Response.noContent().build();
  }
}
