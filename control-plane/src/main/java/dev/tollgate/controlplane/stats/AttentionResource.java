package dev.tollgate.controlplane.stats;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.sql.SQLException;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/admin/v1/attention")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Usage")
public class AttentionResource {

  private final UsageStatsService stats;

  AttentionResource(UsageStatsService stats) {
    this.stats = stats;
  }

  @GET
  @Operation(
      summary = "The keys or provider keys failing most",
      description =
          "The api keys (or provider keys) with the most failed requests, or the most requests"
              + " answered 429, over a window rounded out to whole hours (window=1h at 10:05"
              + " counts 09:00 to 11:00). For provider keys, 429s are the requests routed to the"
              + " key that the client got as 429; upstream 429s by kind are in"
              + " /provider-keys/{id}/stats.")
  public AttentionList attention(
      @Parameter(description = "keys (default) or provider_keys.") @QueryParam("subject")
          String subject,
      @Parameter(description = "failures (default) or rate_limited.") @QueryParam("by") String by,
      @Parameter(description = "1m to 7d, e.g. 1h (default), 24h, 7d.") @QueryParam("window")
          String window,
      @Parameter(description = "How many, 1..100 (default 20).") @QueryParam("limit") String limit)
      throws SQLException {
    return stats.attention(subject, by, window, limit, Instant.now());
  }
}
