package dev.tollgate.controlplane.stats;

import dev.tollgate.controlplane.admin.Fields;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.sql.SQLException;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/admin/v1/usage")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Usage", description = "Usage summaries, windows and time series.")
public class UsageResource {

  static final String KEY_ID = "Count only this api key's usage.";
  static final String USER_ID = "Count only the usage of this user's keys.";
  static final String GROUP_ID = "Count only requests routed to this provider group.";
  static final String MODEL =
      "Count only requests for this model (as the client named it), at most 200 characters.";

  private final UsageStatsService stats;

  UsageResource(UsageStatsService stats) {
    this.stats = stats;
  }

  @GET
  @Path("/summary")
  @Operation(
      summary = "Usage across provider groups",
      description =
          "Totals of every provider group that is not deleted since it was created, and overall,"
              + " with success and failure rates computed when read.")
  public UsageSummary summary() throws SQLException {
    return stats.summary();
  }

  @GET
  @Path("/windows")
  @Operation(
      summary = "Usage in the last 1m, 1h, 8h, 24h and this month",
      description =
          "Requests (total, success, failure, rate limited, estimated) and tokens in windows ending"
              + " with the"
              + " current minute, which counts whole: 1h is this minute and the 59 before. month"
              + " is the current calendar month in UTC. At most one of key_id, user_id, group_id"
              + " and model; none counts the whole installation.")
  public UsageWindows windows(
      @Parameter(description = KEY_ID) @QueryParam("key_id") String keyId,
      @Parameter(description = USER_ID) @QueryParam("user_id") String userId,
      @Parameter(description = GROUP_ID) @QueryParam("group_id") String groupId,
      @Parameter(
              description = MODEL,
              schema = @Schema(type = SchemaType.STRING, maxLength = Fields.MAX_QUERY_TEXT_LENGTH))
          @QueryParam("model")
          String model)
      throws SQLException {
    return stats.windows(UsageStatsService.scope(keyId, userId, groupId, model), Instant.now());
  }

  @GET
  @Path("/timeseries")
  @Operation(
      summary = "Usage per minute, hour or day, for charts",
      description =
          "One point per bucket from `from` (rounded down to the step) to `to` (rounded up), zeros"
              + " included, at most 1500 points. Minute buckets are kept 48 h and hour buckets"
              + " 90 days by default (see the retention settings): older buckets read as zeros."
              + " Same scopes as the windows.")
  public UsageSeries timeseries(
      @Parameter(description = "ISO-8601 instant; default: 60 steps before `to`.")
          @QueryParam("from")
          String from,
      @Parameter(description = "ISO-8601 instant; default: the end of the current minute.")
          @QueryParam("to")
          String to,
      @Parameter(description = "1m, 1h (default) or 1d; buckets are aligned to UTC.")
          @QueryParam("step")
          String step,
      @Parameter(description = KEY_ID) @QueryParam("key_id") String keyId,
      @Parameter(description = USER_ID) @QueryParam("user_id") String userId,
      @Parameter(description = GROUP_ID) @QueryParam("group_id") String groupId,
      @Parameter(
              description = MODEL,
              schema = @Schema(type = SchemaType.STRING, maxLength = Fields.MAX_QUERY_TEXT_LENGTH))
          @QueryParam("model")
          String model)
      throws SQLException {
    return stats.series(
        UsageStatsService.scope(keyId, userId, groupId, model), from, to, step, Instant.now());
  }
}
