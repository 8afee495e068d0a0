package dev.tollgate.controlplane.stats;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.sql.SQLException;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Summaries under /admin/v1/keys; RESTEasy Reactive merges it with the keys' CRUD resource. */
@Path("/admin/v1/keys")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Usage")
public class KeyUsageResource {

  private final UsageStatsService stats;

  KeyUsageResource(UsageStatsService stats) {
    this.stats = stats;
  }

  @GET
  @Path("/stats")
  @Operation(
      summary = "Counts and totals over every api key",
      description =
          "Keys in all and per status, quota sums, and request and token totals. Read from"
              + " aggregates the database keeps up to date, never by scanning the keys.")
  public KeyStats stats() throws SQLException {
    return stats.keyStats();
  }

  @GET
  @Path("/{id}/usage")
  @Operation(
      summary = "One key's requests and tokens per model over a period",
      description =
          "Periods up to 24h end with the current minute and start that long before, to the"
              + " minute; longer periods start at midnight UTC of their first day.")
  public KeyUsage usage(
      @Parameter(description = "The api key.") @PathParam("id") long id,
      @Parameter(description = "1m to 90d, e.g. 1h, 24h (default), 7d, 30d.") @QueryParam("period")
          String period)
      throws SQLException {
    return stats.keyUsage(id, period, Instant.now());
  }
}
