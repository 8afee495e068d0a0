package dev.tollgate.controlplane.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.controlplane.admin.CursorPageView;
import dev.tollgate.controlplane.admin.Fields;
import dev.tollgate.controlplane.admin.KeysetCursor;
import dev.tollgate.controlplane.admin.ListRequest;
import dev.tollgate.controlplane.admin.Problem;
import dev.tollgate.controlplane.admin.ProblemException;
import dev.tollgate.controlplane.admin.QueryParameters;
import dev.tollgate.controlplane.replica.ReadConnections;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Lists the audit log, newest first, by cursor: its cost does not depend on its length. */
@Path("/admin/v1/audit-log")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "audit log", description = "Who changed what, when: before and after")
public class AuditLogResource {

  private final ReadConnections reads;
  private final ObjectMapper json;

  AuditLogResource(ReadConnections reads, ObjectMapper json) {
    this.reads = reads;
    this.json = json;
  }

  @GET
  @Operation(summary = "Audit log entries, newest first (cursor pagination)")
  @APIResponse(
      responseCode = "200",
      content = @Content(schema = @Schema(implementation = CursorPageView.class)))
  @APIResponse(
      responseCode = "400",
      description = "A bad query parameter, named in field",
      content =
          @Content(
              mediaType = "application/problem+json",
              schema = @Schema(implementation = Problem.class)))
  @APIResponse(responseCode = "401", description = "No or unknown operator token")
  public CursorPageView<AuditEntryView> list(
      @Parameter(description = "next_cursor of the previous page") @QueryParam("cursor")
          String cursor,
      @Parameter(description = "Entries per page, 1..1000 (default 50)") @QueryParam("limit")
          String limit,
      @Parameter(
              description = "Only this entity type (api_key, user, …)",
              schema = @Schema(type = SchemaType.STRING, maxLength = Fields.MAX_QUERY_TEXT_LENGTH))
          @QueryParam("entity_type")
          String entityType,
      @Parameter(description = "Only this entity id (with entity_type)") @QueryParam("entity_id")
          String entityId,
      @Parameter(
              description = "Only this actor (bootstrap, token:<id>)",
              schema = @Schema(type = SchemaType.STRING, maxLength = Fields.MAX_QUERY_TEXT_LENGTH))
          @QueryParam("actor")
          String actor,
      @Parameter(description = "At or after this ISO-8601 instant") @QueryParam("from") String from,
      @Parameter(description = "Before this ISO-8601 instant") @QueryParam("to") String to) {
    int size =
        QueryParameters.limit("limit", limit, ListRequest.DEFAULT_SIZE, ListRequest.MAX_SIZE);
    long before = cursor == null ? Long.MAX_VALUE : KeysetCursor.decodeId("cursor", cursor);
    entityType = QueryParameters.text("entity_type", entityType);
    actor = QueryParameters.text("actor", actor);
    if (entityId != null && entityType == null) {
      throw ProblemException.badRequest("entity_id", "entity_id needs entity_type");
    }
    Instant fromInstant = QueryParameters.instant("from", from);
    Instant toInstant = QueryParameters.instant("to", to);
    if (fromInstant != null && toInstant != null && !fromInstant.isBefore(toInstant)) {
      throw ProblemException.badRequest("to", "to must be after from");
    }
    var sql =
        new StringBuilder(
            "SELECT id, occurred_at, actor, action, entity_type, entity_id, before::text,"
                + " after::text FROM audit_log WHERE id < ?");
    List<Object> params = new ArrayList<>(List.of(before));
    if (entityType != null) {
      sql.append(" AND entity_type = ?");
      params.add(entityType);
    }
    if (entityId != null) {
      sql.append(" AND entity_id = ?");
      params.add(entityId);
    }
    if (actor != null) {
      sql.append(" AND actor = ?");
      params.add(actor);
    }
    if (fromInstant != null) {
      sql.append(" AND occurred_at >= ?");
      params.add(fromInstant.atOffset(ZoneOffset.UTC));
    }
    if (toInstant != null) {
      sql.append(" AND occurred_at < ?");
      params.add(toInstant.atOffset(ZoneOffset.UTC));
    }
    sql.append(" ORDER BY id DESC LIMIT ").append(size + 1);
    var items = new ArrayList<AuditEntryView>(size);
    boolean more = false;
    try (Connection connection = reads.connection();
        PreparedStatement statement = connection.prepareStatement(sql.toString())) {
      for (int i = 0; i < params.size(); i++) {
        statement.setObject(i + 1, params.get(i));
      }
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          if (items.size() == size) {
            more = true;
            break;
          }
          items.add(
              new AuditEntryView(
                  rows.getLong(1),
                  rows.getObject(2, OffsetDateTime.class).toInstant(),
                  rows.getString(3),
                  rows.getString(4),
                  rows.getString(5),
                  rows.getString(6),
                  tree(rows.getString(7)),
                  tree(rows.getString(8))));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the audit log", e);
    }
    String next = more ? KeysetCursor.encodeId(items.get(items.size() - 1).id()) : null;
    return new CursorPageView<>(items, next);
  }

  private JsonNode tree(String text) {
    if (text == null) {
      return null;
    }
    try {
      return json.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("audit_log holds invalid JSON", e);
    }
  }
}
