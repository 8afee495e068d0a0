package dev.tollgate.controlplane.usage;

import dev.tollgate.controlplane.admin.CursorPageView;
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
import java.util.Arrays;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/admin/v1/flush/dead-letters")
@Produces(MediaType.APPLICATION_JSON)
@Tag(
    name = "flush",
    description =
        "The usage flush between the planes: parts of batches the control plane kept instead of"
            + " applying.")
public class DeadLetterResource {

  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 1000;

  private final DeadLetterRepository deadLetters;

  DeadLetterResource(DeadLetterRepository deadLetters) {
    this.deadLetters = deadLetters;
  }

  @GET
  @Operation(
      summary = "List flush dead letters, newest first",
      description =
          "Parts of usage flush batches the control plane could not apply (an invalid item, an id"
              + " it does not have, or a batch the database refused) and kept here instead, so"
              + " that no part can block the batches after it; the rest of each batch was applied."
              + " Also counted in the metric tollgate_flush_dead_letters_total{part,reason}."
              + " Cursor-paginated: pass next_cursor as cursor for the next (older) page.")
  @APIResponse(responseCode = "200", description = "A page of dead letters.")
  @APIResponse(
      responseCode = "400",
      description = "A parameter is malformed or out of range; field names it.",
      content =
          @Content(
              mediaType = "application/problem+json",
              schema = @Schema(implementation = Problem.class)))
  public CursorPageView<DeadLetterView> list(
      @Parameter(
              description = "Only dead letters from this data-plane instance (exact id).",
              schema = @Schema(type = SchemaType.STRING, maxLength = Fields.MAX_QUERY_TEXT_LENGTH))
          @QueryParam("dp_instance_id")
          String instance,
      @Parameter(
              description = "Only dead letters with this reason.",
              schema =
                  @Schema(
                      type = SchemaType.STRING,
                      enumeration = {
                        "invalid",
                        "unknown_key",
                        "unknown_provider_key",
                        "apply_failed"
                      }))
          @QueryParam("reason")
          String reason,
      @Parameter(description = "next_cursor of the previous page.") @QueryParam("cursor")
          String cursor,
      @Parameter(description = "Page size, 1..1000 (default 100).") @QueryParam("limit")
          String limit) {
    String instanceFilter = QueryParameters.text("dp_instance_id", instance);
    String reasonFilter = QueryParameters.text("reason", reason);
    if (reasonFilter != null
        && Arrays.stream(DeadLetter.Reason.values()).noneMatch(r -> r.name.equals(reasonFilter))) {
      throw ProblemException.badRequest(
          "reason", "reason must be invalid, unknown_key, unknown_provider_key or apply_failed");
    }
    int size = QueryParameters.limit("limit", limit, DEFAULT_LIMIT, MAX_LIMIT);
    KeysetCursor after =
        cursor == null || cursor.isEmpty() ? null : KeysetCursor.decode("cursor", cursor);
    // One row more than the page tells whether another page follows without counting.
    List<DeadLetterView> rows = deadLetters.page(instanceFilter, reasonFilter, after, size + 1);
    if (rows.size() <= size) {
      return new CursorPageView<>(rows, null);
    }
    List<DeadLetterView> items = rows.subList(0, size);
    DeadLetterView last = items.get(size - 1);
    return new CursorPageView<>(
        List.copyOf(items), new KeysetCursor(last.receivedAt(), last.id()).encode());
  }
}
