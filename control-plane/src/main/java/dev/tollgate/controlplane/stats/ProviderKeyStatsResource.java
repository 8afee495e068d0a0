package dev.tollgate.controlplane.stats;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.sql.SQLException;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Stats under /admin/v1/provider-keys; merged with the provider keys' CRUD resource. */
@Path("/admin/v1/provider-keys")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Usage")
public class ProviderKeyStatsResource {

  private final UsageStatsService stats;

  ProviderKeyStatsResource(UsageStatsService stats) {
    this.stats = stats;
  }

  @GET
  @Path("/{id}/stats")
  @Operation(
      summary = "A provider key's requests, rates, upstream 429s by kind, mean latency and health",
      description =
          "Its counters since it was created, the newest upstream 429 and its kind, when it was"
              + " last used, and its health (circuit state, 429 cooldown, errors in a row) as the"
              + " data planes reported it in their usage flushes.")
  public UpstreamStats stats(@Parameter(description = "The provider key.") @PathParam("id") long id)
      throws SQLException {
    return stats.providerKeyStats(id, Instant.now());
  }
}
