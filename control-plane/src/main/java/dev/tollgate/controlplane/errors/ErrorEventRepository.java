package dev.tollgate.controlplane.errors;

import dev.tollgate.controlplane.admin.KeysetCursor;
import dev.tollgate.controlplane.replica.ReadConnections;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads error events with plain JDBC. Each query is shaped for one index of V5: equality on the
 * filter's leading column, then a range on (occurred_at, id) in index order, with a LIMIT, so
 * PostgreSQL reads the rows it returns and stops.
 */
@ApplicationScoped
public class ErrorEventRepository {

  private static final String COLUMNS =
      "id, occurred_at, key_id, provider_key_id, model, status_code, error_class, message,"
          + " latency_ms, request_id, dp_instance_id";

  private final ReadConnections reads;

  ErrorEventRepository(ReadConnections reads) {
    this.reads = reads;
  }

  /** Up to {@code limit} errors matching the filter, newest first, strictly after the cursor. */
  List<ErrorEventView> page(ErrorFilter filter, KeysetCursor after, int limit) {
    var sql = new StringBuilder("SELECT ").append(COLUMNS).append(" FROM error_event WHERE true");
    List<Object> args = new ArrayList<>();
    if (filter.keyId() != null) {
      sql.append(" AND key_id = ?");
      args.add(filter.keyId());
    }
    if (filter.providerKeyId() != null) {
      sql.append(" AND provider_key_id = ?");
      args.add(filter.providerKeyId());
    }
    if (filter.model() != null) {
      sql.append(" AND model = ?");
      args.add(filter.model());
    }
    if (filter.statusCode() != null) {
      sql.append(" AND status_code = ?");
      args.add(filter.statusCode());
    }
    if (filter.from() != null) {
      sql.append(" AND occurred_at >= ?");
      args.add(timestamp(filter.from()));
    }
    if (filter.to() != null) {
      sql.append(" AND occurred_at < ?");
      args.add(timestamp(filter.to()));
    }
    if (after != null) {
      // A row comparison: PostgreSQL turns it into one index range bound on (…, occurred_at, id).
      sql.append(" AND (occurred_at, id) < (?, ?)");
      args.add(timestamp(after.at()));
      args.add(after.id());
    }
    sql.append(" ORDER BY occurred_at DESC, id DESC LIMIT ?");
    args.add(limit);
    return query(sql.toString(), args);
  }

  /**
   * The error of the key nearest to {@code at} within ±window, with that status code when one is
   * given: the newest at or before {@code at} and the oldest after it, the nearer of the two (the
   * earlier one on a tie).
   */
  Optional<ErrorEventView> nearest(long keyId, Instant at, Integer statusCode, Duration window) {
    String status = statusCode == null ? "" : " AND status_code = ?";
    String sql =
        "(SELECT "
            + COLUMNS
            + " FROM error_event WHERE key_id = ?"
            + status
            + " AND occurred_at <= ? AND occurred_at >= ? ORDER BY occurred_at DESC, id DESC"
            + " LIMIT 1) UNION ALL (SELECT "
            + COLUMNS
            + " FROM error_event WHERE key_id = ?"
            + status
            + " AND occurred_at > ? AND occurred_at <= ? ORDER BY occurred_at, id LIMIT 1)";
    List<Object> args = new ArrayList<>();
    args.add(keyId);
    if (statusCode != null) {
      args.add(statusCode);
    }
    args.add(timestamp(at));
    args.add(timestamp(at.minus(window)));
    args.add(keyId);
    if (statusCode != null) {
      args.add(statusCode);
    }
    args.add(timestamp(at));
    args.add(timestamp(at.plus(window)));
    ErrorEventView best = null;
    long bestDistance = Long.MAX_VALUE;
    for (ErrorEventView candidate : query(sql, args)) {
      long distance = Math.abs(Duration.between(at, candidate.occurredAt()).toNanos());
      if (distance < bestDistance
          || (distance == bestDistance && candidate.occurredAt().isBefore(best.occurredAt()))) {
        best = candidate;
        bestDistance = distance;
      }
    }
    return Optional.ofNullable(best);
  }

  private List<ErrorEventView> query(String sql, List<Object> args) {
    try (Connection c = reads.connection();
        PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < args.size(); i++) {
        s.setObject(i + 1, args.get(i));
      }
      List<ErrorEventView> rows = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          long providerKeyId = r.getLong(4);
          Long provider = r.wasNull() ? null : providerKeyId;
          rows.add(
              new ErrorEventView(
                  r.getLong(1),
                  r.getObject(2, OffsetDateTime.class).toInstant(),
                  r.getLong(3),
                  provider,
                  r.getString(5),
                  r.getInt(6),
                  r.getString(7),
                  r.getString(8),
                  r.getLong(9),
                  r.getString(10),
                  r.getString(11)));
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new IllegalStateException("reading error events failed", e);
    }
  }

  private static OffsetDateTime timestamp(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }
}
