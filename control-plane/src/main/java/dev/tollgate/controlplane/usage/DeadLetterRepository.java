package dev.tollgate.controlplane.usage;

import dev.tollgate.controlplane.admin.KeysetCursor;
import dev.tollgate.controlplane.replica.ReadConnections;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads flush_dead_letter for the admin API, newest first. Each query is one range of one index of
 * V8 (by received_at, by instance, by reason), read in index order with a LIMIT.
 */
@ApplicationScoped
public class DeadLetterRepository {

  private static final String COLUMNS =
      "id, received_at, dp_instance_id, sequence, part, item_index, reason, detail, item";

  private final ReadConnections reads;

  DeadLetterRepository(ReadConnections reads) {
    this.reads = reads;
  }

  /** Up to {@code limit} dead letters, newest first, strictly after the cursor. */
  List<DeadLetterView> page(String instance, String reason, KeysetCursor after, int limit) {
    var sql = new StringBuilder("SELECT ").append(COLUMNS).append(" FROM flush_dead_letter");
    sql.append(" WHERE true");
    List<Object> args = new ArrayList<>();
    if (instance != null) {
      sql.append(" AND dp_instance_id = ?");
      args.add(instance);
    }
    if (reason != null) {
      sql.append(" AND reason = ?");
      args.add(reason);
    }
    if (after != null) {
      sql.append(" AND (received_at, id) < (?, ?)");
      args.add(after.at().atOffset(ZoneOffset.UTC));
      args.add(after.id());
    }
    sql.append(" ORDER BY received_at DESC, id DESC LIMIT ?");
    args.add(limit);
    try (Connection c = reads.connection();
        PreparedStatement s = c.prepareStatement(sql.toString())) {
      for (int i = 0; i < args.size(); i++) {
        s.setObject(i + 1, args.get(i));
      }
      List<DeadLetterView> rows = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          rows.add(
              new DeadLetterView(
                  r.getLong(1),
                  r.getObject(2, OffsetDateTime.class).toInstant(),
                  r.getString(3),
                  r.getLong(4),
                  r.getString(5),
                  r.getInt(6),
                  r.getString(7),
                  r.getString(8),
                  r.getString(9)));
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new IllegalStateException("reading flush dead letters failed", e);
    }
  }
}
