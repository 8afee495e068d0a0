package dev.tollgate.controlplane.concurrency;

import dev.tollgate.controlplane.admin.Problem;
import dev.tollgate.controlplane.admin.QueryParameters;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Concurrency state of one provider key. Its own path ({@code concurrency-stats}, not a GET on
 * {@code …/concurrency}): JAX-RS picks the resource class by path before the HTTP method, so a
 * class holding GET {@code …/{id}/concurrency} would take the PUT of the same path away from the
 * provider-key resource, which owns the mode switch.
 */
@Path("/admin/v1/provider-keys/{id}/concurrency-stats")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "adaptive-concurrency")
public class ProviderKeyConcurrencyResource {

  static final int DEFAULT_ADJUSTMENTS = 50;
  static final int MAX_ADJUSTMENTS = 1000;

  private final ConcurrencyService concurrency;

  ProviderKeyConcurrencyResource(ConcurrencyService concurrency) {
    this.concurrency = concurrency;
  }

  @GET
  @Operation(
      summary = "Concurrency mode, limit, 429s and adjustment history of a provider key",
      description =
          "Works for fixed and adaptive keys. The history is one page, newest first; follow"
              + " adjustments.next_cursor with adjustments_cursor for older ones.")
  @APIResponse(responseCode = "200", description = "The key's concurrency state.")
  @APIResponse(
      responseCode = "400",
      description = "A parameter is malformed or out of range; field names it.",
      content =
          @Content(
              mediaType = "application/problem+json",
              schema = @Schema(implementation = Problem.class)))
  @APIResponse(
      responseCode = "404",
      description = "No such provider key.",
      content =
          @Content(
              mediaType = "application/problem+json",
              schema = @Schema(implementation = Problem.class)))
  public ConcurrencyStatsView stats(
      @PathParam("id") long id,
      @Parameter(description = "Adjustments per page, 1..1000 (default 50).")
          @QueryParam("adjustments_limit")
          String adjustmentsLimit,
      @Parameter(description = "adjustments.next_cursor of the previous answer.")
          @QueryParam("adjustments_cursor")
          String adjustmentsCursor) {
    return concurrency.stats(
        id,
        adjustmentsCursor == null || adjustmentsCursor.isEmpty() ? null : adjustmentsCursor,
        QueryParameters.limit(
            "adjustments_limit", adjustmentsLimit, DEFAULT_ADJUSTMENTS, MAX_ADJUSTMENTS));
  }
}
