package dev.tollgate.controlplane.stats;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.sql.SQLException;
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
      summary = "A provider key's requests, rates, upstream 429s by kind and mean latency",
      description =
          "Its counters since it was created, the newest upstream 429 and its kind, and when it"
              + " was last used.")
  public UpstreamStats stats(@Parameter(description = "The provider key.") @PathParam("id") long id)
      throws SQLException {
    return stats.providerKeyStats(id);
  }
}
