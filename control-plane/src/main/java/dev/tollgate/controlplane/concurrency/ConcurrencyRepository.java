package dev.tollgate.controlplane.concurrency;

import dev.tollgate.controlplane.admin.KeysetCursor;
import dev.tollgate.controlplane.replica.ReadConnections;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Reads provider keys' concurrency state and adjustment history with plain JDBC. History pages are
 * index range scans on (provider_key_id, adjusted_at, id) that stop after the page.
 *
 * <p>The overviews (adaptive keys, totals, recent adjustments) read the read replica when it serves
 * ({@link ReadConnections}); one key's state and history read the primary, because an operator
 * reads them right after changing that key's mode or resetting its learning.
 */
@ApplicationScoped
public class ConcurrencyRepository {

  /** One provider key's row, before its history is attached. */
  record KeyState(
      long id,
      long groupId,
      String status,
      Integer maxConcurrent,
      Integer learnedMaxConcurrent,
      Upstream429View upstream429,
      Instant last429At,
      String last429Kind,
      Instant learningResetAt) {}

  record Totals(long adaptiveKeys, long fixedKeys, long learnedKeys, Upstream429View upstream429) {}

  private static final String KEY_COLUMNS =
      "id, group_id, status, max_concurrent, learned_max_concurrent, upstream_429_rpm,"
          + " upstream_429_concurrency, upstream_429_unknown, last_429_at, last_429_kind,"
          + " learning_reset_at";

  private static final String ADJUSTMENT_COLUMNS =
      "id, provider_key_id, adjusted_at, old_limit, new_limit, reason, utilisation,"
          + " dp_instance_id";

  private static final String TOTALS =
      "SELECT count(*) FILTER (WHERE max_concurrent IS NULL),"
          + " count(*) FILTER (WHERE max_concurrent IS NOT NULL),"
          + " count(*) FILTER (WHERE max_concurrent IS NULL AND learned_max_concurrent IS NOT NULL),"
          + " coalesce(sum(upstream_429_rpm), 0), coalesce(sum(upstream_429_concurrency), 0),"
          + " coalesce(sum(upstream_429_unknown), 0) FROM provider_key WHERE status <> 'deleted'";

  private final DataSource primary;
  private final ReadConnections reads;

  ConcurrencyRepository(DataSource primary, ReadConnections reads) {
    this.primary = primary;
    this.reads = reads;
  }

  /** Adaptive, not deleted provider keys with id above {@code afterId}, ascending. */
  List<KeyState> adaptiveKeys(Long groupId, long afterId, int limit) {
    String sql =
        "SELECT "
            + KEY_COLUMNS
            + " FROM provider_key WHERE max_concurrent IS NULL AND status <> 'deleted' AND id > ?"
            + (groupId == null ? "" : " AND group_id = ?")
            + " ORDER BY id LIMIT ?";
    List<Object> args = new ArrayList<>();
    args.add(afterId);
    if (groupId != null) {
      args.add(groupId);
    }
    args.add(limit);
    return query(reads::connection, sql, args, ConcurrencyRepository::keyState);
  }

  Optional<KeyState> key(long id) {
    return query(
            primary::getConnection,
            "SELECT " + KEY_COLUMNS + " FROM provider_key WHERE id = ? AND status <> 'deleted'",
            List.of(id),
            ConcurrencyRepository::keyState)
        .stream()
        .findFirst();
  }

  /** Up to {@code limit} adjustments of the key strictly older than the cursor, newest first. */
  List<AdjustmentView> adjustments(long providerKeyId, KeysetCursor after, int limit) {
    List<Object> args = new ArrayList<>();
    args.add(providerKeyId);
    String position = "";
    if (after != null) {
      position = " AND (adjusted_at, id) < (?, ?)";
      args.add(after.at().atOffset(ZoneOffset.UTC));
      args.add(after.id());
    }
    args.add(limit);
    return query(
        primary::getConnection,
        "SELECT "
            + ADJUSTMENT_COLUMNS
            + " FROM concurrency_adjustment WHERE provider_key_id = ?"
            + position
            + " ORDER BY adjusted_at DESC, id DESC LIMIT ?",
        args,
        ConcurrencyRepository::adjustment);
  }

  List<AdjustmentView> recentAdjustments(int limit) {
    return query(
        reads::connection,
        "SELECT "
            + ADJUSTMENT_COLUMNS
            + " FROM concurrency_adjustment ORDER BY adjusted_at DESC, id DESC LIMIT ?",
        List.of(limit),
        ConcurrencyRepository::adjustment);
  }

  long adjustmentsSince(Instant since) {
    return query(
            reads::connection,
            "SELECT count(*) FROM concurrency_adjustment WHERE adjusted_at >= ?",
            List.of(since.atOffset(ZoneOffset.UTC)),
            r -> r.getLong(1))
        .get(0);
  }

  Totals totals() {
    return query(
            reads::connection,
            TOTALS,
            List.of(),
            r ->
                new Totals(
                    r.getLong(1),
                    r.getLong(2),
                    r.getLong(3),
                    new Upstream429View(r.getLong(4), r.getLong(5), r.getLong(6))))
        .get(0);
  }

  private interface Row<T> {
    T read(ResultSet r) throws SQLException;
  }

  /** The primary's pool or the read connections. */
  private interface Source {
    Connection open() throws SQLException;
  }

  private static <T> List<T> query(Source source, String sql, List<Object> args, Row<T> row) {
    try (Connection c = source.open();
        PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < args.size(); i++) {
        s.setObject(i + 1, args.get(i));
      }
      List<T> rows = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          rows.add(row.read(r));
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new IllegalStateException("reading concurrency state failed", e);
    }
  }

  private static KeyState keyState(ResultSet r) throws SQLException {
    return new KeyState(
        r.getLong(1),
        r.getLong(2),
        r.getString(3),
        r.getObject(4, Integer.class),
        r.getObject(5, Integer.class),
        new Upstream429View(r.getLong(6), r.getLong(7), r.getLong(8)),
        instant(r, 9),
        r.getString(10),
        instant(r, 11));
  }

  private static AdjustmentView adjustment(ResultSet r) throws SQLException {
    return new AdjustmentView(
        r.getLong(1),
        r.getLong(2),
        instant(r, 3),
        r.getInt(4),
        r.getInt(5),
        r.getString(6),
        r.getDouble(7),
        r.getString(8));
  }

  private static Instant instant(ResultSet r, int column) throws SQLException {
    OffsetDateTime value = r.getObject(column, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }
}
