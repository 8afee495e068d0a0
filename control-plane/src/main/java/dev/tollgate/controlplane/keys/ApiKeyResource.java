package dev.tollgate.controlplane.keys;

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

@Path("/admin/v1/keys")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "keys", description = "Client api keys (tg-…)")
@APIResponse(
    responseCode = "400",
    description = "A bad body field or query parameter, named in field",
    content =
        @Content(
            mediaType = "application/problem+json",
            schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "401", description = "No or unknown operator token")
@APIResponse(responseCode = "403", description = "A viewer token on a mutation")
public class ApiKeyResource {

  private final ApiKeyService keys;

  ApiKeyResource(ApiKeyService keys) {
    this.keys = keys;
  }

  @POST
  @Operation(summary = "Create a key; the secret (key) is in this answer only")
  @APIResponse(
      responseCode = "201",
      content = @Content(schema = @Schema(implementation = CreatedApiKeyView.class)))
  public Response create(CreateApiKeyRequest request) {
    CreatedApiKeyView created = keys.create(request);
    return Response.created(URI.create("/admin/v1/keys/" + created.details().id()))
        .entity(created)
        .build();
  }

  @GET
  @Operation(
      summary = "List keys",
      description =
          "Page mode (page, page_size: items, total, page, page_size, total_pages) or cursor mode"
              + " (cursor, limit: items, next_cursor). Filters: status, exclude_statuses, user_id,"
              + " group_id, search, created_from/created_to, last_used_from/last_used_to. sort ="
              + " created|last_used|requests|tokens, order = asc|desc. Sorting by requests, tokens"
              + " or last_used uses counters refreshed in the background (TOLLGATE_LISTING_REFRESH_*).")
  @APIResponse(
      responseCode = "200",
      description = "PageView in page mode, CursorPageView in cursor mode",
      content = @Content(schema = @Schema(oneOf = {PageView.class, CursorPageView.class})))
  public Object list(@BeanParam ListParams params) {
    return keys.list(ListRequest.parse(params, ApiKeyRepository.SPEC));
  }

  @GET
  @Path("/{id}")
  @Operation(summary = "A key with its counters")
  @APIResponse(responseCode = "404", description = "No such key")
  public ApiKeyView get(@PathParam("id") long id) {
    return keys.get(id);
  }

  @PATCH
  @Path("/{id}")
  @Operation(
      summary = "Change a key's fields",
      description = "Every data plane applies the change within 2 s (a disabled key is refused).")
  @APIResponse(responseCode = "404", description = "No such key")
  @APIResponse(responseCode = "409", description = "The key is revoked")
  public ApiKeyView update(@PathParam("id") long id, UpdateApiKeyRequest request) {
    return keys.update(id, request);
  }

  @POST
  @Path("/{id}/rotate")
  @Operation(
      summary = "Give the key a new secret, shown in this answer only",
      description = "Every data plane refuses the old secret within 2 s.")
  @APIResponse(responseCode = "404", description = "No such key")
  @APIResponse(responseCode = "409", description = "The key is revoked")
  public CreatedApiKeyView rotate(@PathParam("id") long id) {
    return keys.rotate(id);
  }

  @POST
  @Path("/{id}/reset-quota")
  @Operation(summary = "Set quota_used to 0; a quota_exhausted key becomes active again")
  @APIResponse(responseCode = "404", description = "No such key")
  @APIResponse(responseCode = "409", description = "The key is revoked")
  public ApiKeyView resetQuota(@PathParam("id") long id) {
    return keys.resetQuota(id);
  }

  @DELETE
  @Path("/{id}")
  @Operation(summary = "Revoke a key for good (the row stays, with its counters)")
  @APIResponse(responseCode = "204", description = "Revoked (also when it already was)")
  @APIResponse(responseCode = "404", description = "No such key")
  public Response revoke(@PathParam("id") long id) {
    keys.revoke(id);
    return Response.noContent().build();
  }
}
