package dev.tollgate.controlplane.admin;

import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
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

/** Operator tokens; every call here needs an admin token. */
@Path("/admin/v1/operator-tokens")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "operator tokens", description = "Bearer tokens of operators: viewer or admin")
@APIResponse(
    responseCode = "400",
    description = "A bad body field or query parameter, named in field",
    content =
        @Content(
            mediaType = "application/problem+json",
            schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "401", description = "No or unknown operator token")
@APIResponse(responseCode = "403", description = "Not an admin token")
public class OperatorTokenResource {

  private final OperatorTokenService tokens;

  OperatorTokenResource(OperatorTokenService tokens) {
    this.tokens = tokens;
  }

  @POST
  @Operation(summary = "Create an operator token; the secret (token) is in this answer only")
  @APIResponse(
      responseCode = "201",
      content = @Content(schema = @Schema(implementation = CreatedOperatorTokenView.class)))
  public Response create(CreateOperatorTokenRequest request) {
    CreatedOperatorTokenView created = tokens.create(request);
    return Response.created(URI.create("/admin/v1/operator-tokens/" + created.details().id()))
        .entity(created)
        .build();
  }

  @GET
  @Operation(
      summary = "List operator tokens (revoked ones included)",
      description = "Page mode (page, page_size) or cursor mode (cursor, limit); sort = created.")
  @APIResponse(
      responseCode = "200",
      description = "PageView in page mode, CursorPageView in cursor mode",
      content = @Content(schema = @Schema(oneOf = {PageView.class, CursorPageView.class})))
  public Object list(@BeanParam ListParams params) {
    return tokens.list(ListRequest.parse(params, OperatorTokenService.SPEC));
  }

  @GET
  @Path("/{id}")
  @Operation(summary = "An operator token (never its secret)")
  @APIResponse(responseCode = "404", description = "No such token")
  public OperatorTokenView get(@PathParam("id") long id) {
    return tokens.get(id);
  }

  @DELETE
  @Path("/{id}")
  @Operation(
      summary = "Revoke an operator token",
      description =
          "Refused at once by this replica, by every replica within"
              + " TOLLGATE_OPERATORS_CACHE_TTL (1 s by default).")
  @APIResponse(responseCode = "204", description = "Revoked (also when it already was)")
  @APIResponse(responseCode = "404", description = "No such token")
  public Response revoke(@PathParam("id") long id) {
    tokens.revoke(id);
    return Response.noContent().build();
  }
}
