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

/** Stats under /admin/v1/provider-groups; merged with the groups' CRUD resource. */
@Path("/admin/v1/provider-groups")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Usage")
public class ProviderGroupStatsResource {

  private final UsageStatsService stats;

  ProviderGroupStatsResource(UsageStatsService stats) {
    this.stats = stats;
  }

  @GET
  @Path("/{id}/stats")
  @Operation(
      summary = "A provider group's requests, rates, upstream 429s and mean latency",
      description = "The sums of its provider keys' counters since it was created.")
  public UpstreamStats stats(
      @Parameter(description = "The provider group.") @PathParam("id") long id)
      throws SQLException {
    return stats.groupStats(id);
  }
}
