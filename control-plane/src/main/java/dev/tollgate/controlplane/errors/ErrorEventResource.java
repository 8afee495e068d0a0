package dev.tollgate.controlplane.errors;

import dev.tollgate.controlplane.admin.Fields;
import dev.tollgate.controlplane.admin.KeysetCursor;
import dev.tollgate.controlplane.admin.Problem;
import dev.tollgate.controlplane.admin.ProblemException;
import dev.tollgate.controlplane.admin.QueryParameters;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/admin/v1/errors")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "errors", description = "Failed requests the data planes reported (kept 7 days).")
public class ErrorEventResource {

  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 1000;
  static final int DEFAULT_WINDOW_SECONDS = 60;
  static final int MAX_WINDOW_SECONDS = 300;

  private final ErrorEventRepository errors;

  ErrorEventResource(ErrorEventRepository errors) {
    this.errors = errors;
  }

  @GET
  @Operation(
      summary = "List error events, newest first",
      description =
          "Cursor-paginated: pass next_cursor as cursor for the next (older) page; errors added"
              + " meanwhile never shift a page. Filters combine (AND).")
  @APIResponse(responseCode = "200", description = "A page of error events.")
  @APIResponse(
      responseCode = "400",
      description = "A parameter is malformed or out of range; field names it.",
      content =
          @Content(
              mediaType = "application/problem+json",
              schema = @Schema(implementation = Problem.class)))
  public ErrorPage list(
      @Parameter(description = "Only errors of this client key.") @QueryParam("key_id")
          String keyId,
      @Parameter(description = "Only errors sent to this provider key.")
          @QueryParam("provider_key_id")
          String providerKeyId,
      @Parameter(
              description = "Only errors for this model (exact name), at most 200 characters.",
              schema = @Schema(type = SchemaType.STRING, maxLength = Fields.MAX_QUERY_TEXT_LENGTH))
          @QueryParam("model")
          String model,
      @Parameter(description = "Only errors with this HTTP status (100..599).")
          @QueryParam("status_code")
          String statusCode,
      @Parameter(description = "Only errors at or after this ISO-8601 instant.") @QueryParam("from")
          String from,
      @Parameter(description = "Only errors before this ISO-8601 instant.") @QueryParam("to")
          String to,
      @Parameter(description = "next_cursor of the previous page.") @QueryParam("cursor")
          String cursor,
      @Parameter(description = "Page size, 1..1000 (default 100).") @QueryParam("limit")
          String limit) {
    var filter =
        new ErrorFilter(
            QueryParameters.id("key_id", keyId),
            QueryParameters.id("provider_key_id", providerKeyId),
            QueryParameters.text("model", model),
            QueryParameters.integer("status_code", statusCode, 100, 599),
            QueryParameters.instant("from", from),
            QueryParameters.instant("to", to));
    if (filter.from() != null && filter.to() != null && !filter.from().isBefore(filter.to())) {
      throw ProblemException.badRequest("to", "to must be after from");
    }
    int size = QueryParameters.limit("limit", limit, DEFAULT_LIMIT, MAX_LIMIT);
    KeysetCursor after =
        cursor == null || cursor.isEmpty() ? null : KeysetCursor.decode("cursor", cursor);
    // One row more than the page tells whether another page follows without counting.
    List<ErrorEventView> rows = errors.page(filter, after, size + 1);
    if (rows.size() <= size) {
      return new ErrorPage(rows, null);
    }
    List<ErrorEventView> items = rows.subList(0, size);
    return new ErrorPage(
        List.copyOf(items),
        new KeysetCursor(items.get(size - 1).occurredAt(), items.get(size - 1).id()).encode());
  }

  @GET
  @Path("/lookup")
  @Operation(
      summary = "Find the error of a key nearest to a moment",
      description =
          "For a client who reports \"my request at T failed with S\": the error of key_id nearest"
              + " in time to timestamp within ±window_seconds, preferring one with status_code; when"
              + " none has that status, the nearest of any status (match says which).")
  @APIResponse(responseCode = "200", description = "The nearest error.")
  @APIResponse(
      responseCode = "400",
      description = "A parameter is missing, malformed or out of range; field names it.",
      content =
          @Content(
              mediaType = "application/problem+json",
              schema = @Schema(implementation = Problem.class)))
  @APIResponse(
      responseCode = "404",
      description = "The key has no error within the window.",
      content =
          @Content(
              mediaType = "application/problem+json",
              schema = @Schema(implementation = Problem.class)))
  public ErrorLookupView lookup(
      @Parameter(description = "The client key (required).", required = true) @QueryParam("key_id")
          String keyId,
      @Parameter(description = "The moment to search around, ISO-8601 (required).", required = true)
          @QueryParam("timestamp")
          String timestamp,
      @Parameter(description = "The HTTP status to prefer (100..599); optional.")
          @QueryParam("status_code")
          String statusCode,
      @Parameter(description = "Half-width of the search window in seconds, 1..300 (default 60).")
          @QueryParam("window_seconds")
          String windowSeconds) {
    long key = QueryParameters.required("key_id", QueryParameters.id("key_id", keyId));
    Instant at =
        QueryParameters.required("timestamp", QueryParameters.instant("timestamp", timestamp));
    Integer status = QueryParameters.integer("status_code", statusCode, 100, 599);
    Integer seconds =
        QueryParameters.integer("window_seconds", windowSeconds, 1, MAX_WINDOW_SECONDS);
    Duration window = Duration.ofSeconds(seconds == null ? DEFAULT_WINDOW_SECONDS : seconds);
    if (status != null) {
      var same = errors.nearest(key, at, status, window);
      if (same.isPresent()) {
        return view(same.get(), at, "same_status_code");
      }
    }
    return errors
        .nearest(key, at, null, window)
        .map(found -> view(found, at, "any_status_code"))
        .orElseThrow(
            () ->
                new ProblemException(
                    404,
                    "Not Found",
                    "key " + key + " has no error within " + window.toSeconds() + " s of " + at,
                    null));
  }

  private static ErrorLookupView view(ErrorEventView error, Instant at, String match) {
    return new ErrorLookupView(error, match, Duration.between(at, error.occurredAt()).toMillis());
  }
}
