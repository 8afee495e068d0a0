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
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
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

  @GET
  @Path("/{id}/provider-key-health")
  @Operation(
      summary = "The health of a group's provider keys",
      description =
          "For each provider key of the group that is not deleted: the worst circuit state the"
              + " data planes reported lately (open, half_open, closed), on how many data planes"
              + " it is open or half-open, until when a 429 cooldown rests it, and the most errors"
              + " in a row. Each data plane reports its own view in its usage flush; reports"
              + " older than TOLLGATE_PROVIDER_HEALTH_MAX_AGE are not counted.")
  @APIResponse(responseCode = "404", description = "No such provider group")
  public ProviderKeyHealthList providerKeyHealth(
      @Parameter(description = "The provider group.") @PathParam("id") long id)
      throws SQLException {
    return stats.groupHealth(id, Instant.now());
  }
}
