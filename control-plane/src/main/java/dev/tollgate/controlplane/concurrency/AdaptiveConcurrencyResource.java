package dev.tollgate.controlplane.concurrency;

import dev.tollgate.controlplane.admin.Problem;
import dev.tollgate.controlplane.admin.QueryParameters;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/admin/v1/adaptive-concurrency")
@Produces(MediaType.APPLICATION_JSON)
@Tag(
    name = "adaptive-concurrency",
    description = "Provider keys that learn their concurrency limit from upstream 429s.")
public class AdaptiveConcurrencyResource {

  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 1000;

  private final ConcurrencyService concurrency;

  AdaptiveConcurrencyResource(ConcurrencyService concurrency) {
    this.concurrency = concurrency;
  }

  @GET
  @Path("/provider-keys")
  @Operation(
      summary = "List the adaptive provider keys",
      description =
          "Provider keys with max_concurrent null (not deleted), by id, cursor-paginated.")
  @APIResponse(responseCode = "200", description = "A page of adaptive provider keys.")
  @APIResponse(
      responseCode = "400",
      description = "A parameter is malformed or out of range; field names it.",
      content =
          @Content(
              mediaType = "application/problem+json",
              schema = @Schema(implementation = Problem.class)))
  public AdaptiveKeyPage list(
      @Parameter(description = "Only provider keys of this group.") @QueryParam("group_id")
          String groupId,
      @Parameter(description = "next_cursor of the previous page.") @QueryParam("cursor")
          String cursor,
      @Parameter(description = "Page size, 1..1000 (default 100).") @QueryParam("limit")
          String limit) {
    return concurrency.adaptiveKeys(
        QueryParameters.id("group_id", groupId),
        cursor == null || cursor.isEmpty() ? null : cursor,
        QueryParameters.limit("limit", limit, DEFAULT_LIMIT, MAX_LIMIT));
  }

  @GET
  @Path("/summary")
  @Operation(
      summary = "Adaptive concurrency at a glance",
      description =
          "How many provider keys learn their limit, 429 totals by kind, adjustments in the last"
              + " 24 hours and the 10 most recent.")
  @APIResponse(responseCode = "200", description = "The summary.")
  public AdaptiveSummaryView summary() {
    return concurrency.summary();
  }
}
