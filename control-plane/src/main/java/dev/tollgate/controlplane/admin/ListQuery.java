package dev.tollgate.controlplane.admin;

import dev.tollgate.controlplane.replica.ReadConnections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.hibernate.StatelessSession;
import org.postgresql.PGStatement;

/**
 * The first step of every admin list: the ids of one page, read from a narrow table through the
 * index of the sort order, and the total. The second step (the resource's) fetches exactly those
 * rows by id, so a list never reads more rows than it returns.
 *
 * <p>Page mode skips {@code (page - 1) * page_size} index entries (index-only where the index
 * carries the filter columns); cursor mode starts right after the last row of the previous page
 * with a row comparison on {@code (sort column, id)} that the same index answers, so its cost does
 * not depend on depth and rows added meanwhile neither repeat nor skip items.
 */
public final class ListQuery {

  /** A list filtered beyond what counts are kept for counts at most this many matches. */
  public static final int COUNT_CAP = 10_000;

  /** A sortable column and its SQL type, for the cursor's comparison. */
  public record SortColumn(String column, String sqlType) {}

  /** One page's ids in order, and the cursor after it (cursor mode, when more may follow). */
  public record Ids(List<Long> ids, String nextCursor) {}

  private final String from;
  private final String idColumn;
  private final Map<String, SortColumn> sorts;
  private final List<String> conditions = new ArrayList<>();
  private final List<Object> params = new ArrayList<>();

  public ListQuery(String from, String idColumn, Map<String, SortColumn> sorts) {
    this.from = from;
    this.idColumn = idColumn;
    this.sorts = sorts;
  }

  /** Adds a condition with its {@code ?} values (a Collection binds as a text or int8 array). */
  public ListQuery where(String condition, Object... values) {
    conditions.add(condition);
    params.addAll(List.of(values));
    return this;
  }

  /** The status conditions of a request, on {@code column}. */
  public ListQuery statuses(String column, ListRequest request) {
    if (request.statuses().size() == 1) {
      where(column + " = ?", request.statuses().iterator().next());
    } else if (!request.statuses().isEmpty()) {
      where(column + " = ANY(?)", request.statuses());
    }
    if (!request.excludedStatuses().isEmpty()) {
      where(column + " <> ALL(?)", request.excludedStatuses());
    }
    return this;
  }

  /** A half-open time range [from, to) on {@code column}, each end optional. */
  public ListQuery range(String column, Instant from, Instant to) {
    if (from != null) {
      where(column + " >= ?", from);
    }
    if (to != null) {
      where(column + " < ?", to);
    }
    return this;
  }

  /**
   * The answer of a list over a table small enough to count exactly (users, provider groups,
   * provider keys, operator tokens): ids here, then those rows as {@code entity}, in the ids'
   * order, each shown through {@code view}. Both steps read on one connection from {@code reads}:
   * the read replica when it serves, so a page never mixes two servers' states.
   */
  public <E, V> Object answer(
      ReadConnections reads, ListRequest request, Class<E> entity, Function<E, V> view) {
    try (Connection connection = reads.connection();
        StatelessSession rows = reads.entities(connection)) {
      Ids ids = ids(connection, request);
      var items = new ArrayList<V>(ids.ids().size());
      if (!ids.ids().isEmpty()) {
        // In the ids' order, null for a row gone meanwhile.
        for (E row : rows.getMultiple(entity, ids.ids())) {
          if (row != null) {
            items.add(view.apply(row));
          }
        }
      }
      if (request.cursorMode()) {
        return new CursorPageView<>(items, ids.nextCursor());
      }
      return PageView.of(items, count(connection, 0), true, request);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read a list", e);
    }
  }

  public Ids ids(Connection connection, ListRequest request) throws SQLException {
    return ids(connection, request, (long) (request.page() - 1) * request.size());
  }

  /**
   * The page's ids, skipping {@code offset} rows in page mode: callers that narrowed the query with
   * a condition of their own (see ApiKeyRepository's blocks) pass what is left to skip.
   */
  public Ids ids(Connection connection, ListRequest request, long offset) throws SQLException {
    SortColumn sort = sorts.get(request.sort());
    String direction = request.descending() ? " DESC" : " ASC";
    var sql =
        new StringBuilder("SELECT ")
            .append(idColumn)
            .append(", ")
            .append(sort.column())
            .append("::text FROM ")
            .append(from);
    var values = new ArrayList<>(params);
    var all = new ArrayList<>(conditions);
    if (request.after() != null) {
      all.add(
          "("
              + sort.column()
              + ", "
              + idColumn
              + ") "
              + (request.descending() ? "<" : ">")
              + " (CAST(? AS "
              + sort.sqlType()
              + "), ?)");
      values.add(request.after().value());
      values.add(request.after().id());
    }
    appendWhere(sql, all);
    sql.append(" ORDER BY ")
        .append(sort.column())
        .append(direction)
        .append(", ")
        .append(idColumn)
        .append(direction);
    int fetch = request.cursorMode() ? request.size() + 1 : request.size();
    sql.append(" LIMIT ").append(fetch);
    if (!request.cursorMode()) {
      sql.append(" OFFSET ").append(offset);
    }
    var ids = new ArrayList<Long>(fetch);
    String lastValue = null;
    try (PreparedStatement statement = prepare(connection, sql.toString())) {
      bind(connection, statement, values);
      try (ResultSet rows = statement.executeQuery()) {
        int read = 0;
        while (rows.next()) {
          read++;
          if (ids.size() < request.size()) {
            ids.add(rows.getLong(1));
            lastValue = rows.getString(2);
          }
        }
        // One row beyond the page was asked for: its presence is what says another page follows.
        if (request.cursorMode() && read > request.size()) {
          return new Ids(
              ids,
              new ListRequest.Cursor(
                      request.sort(), request.descending(), lastValue, ids.get(ids.size() - 1))
                  .encode());
        }
      }
    } catch (SQLException e) {
      if (request.after() != null && e.getSQLState() != null && e.getSQLState().startsWith("22")) {
        // A forged cursor whose value does not cast to the sort column's type.
        throw ListRequest.Cursor.badCursor();
      }
      throw e;
    }
    return new Ids(ids, null);
  }

  /** COUNT(*) of the filtered rows, stopping at {@code cap} + 1 rows when cap > 0. */
  public long count(Connection connection, int cap) throws SQLException {
    var inner = new StringBuilder("SELECT 1 FROM ").append(from);
    appendWhere(inner, conditions);
    if (cap > 0) {
      inner.append(" LIMIT ").append(cap + 1);
    }
    try (PreparedStatement statement =
        prepare(connection, "SELECT count(*) FROM (" + inner + ") matches")) {
      bind(connection, statement, params);
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  /** {@code term} with LIKE's wildcards escaped, to match literally. */
  public static String escapeLike(String term) {
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }

  /**
   * A statement planned for its actual values every time. pgjdbc switches a statement it has run 5
   * times to a server-side prepared one, and PostgreSQL may then reuse a generic plan, which cannot
   * know a LIKE pattern (so never uses the prefix or trigram index for search) nor how selective a
   * status or time range is: one plan for every search would scan the whole listing.
   */
  private static PreparedStatement prepare(Connection connection, String sql) throws SQLException {
    PreparedStatement statement = connection.prepareStatement(sql);
    statement.unwrap(PGStatement.class).setPrepareThreshold(0);
    return statement;
  }

  private static void appendWhere(StringBuilder sql, List<String> conditions) {
    for (int i = 0; i < conditions.size(); i++) {
      sql.append(i == 0 ? " WHERE " : " AND ").append(conditions.get(i));
    }
  }

  private static void bind(Connection connection, PreparedStatement statement, List<Object> values)
      throws SQLException {
    for (int i = 0; i < values.size(); i++) {
      Object value = values.get(i);
      if (value instanceof Instant instant) {
        statement.setObject(i + 1, instant.atOffset(ZoneOffset.UTC));
      } else if (value instanceof Collection<?> collection) {
        boolean numbers = !collection.isEmpty() && collection.iterator().next() instanceof Long;
        statement.setArray(
            i + 1, connection.createArrayOf(numbers ? "int8" : "text", collection.toArray()));
      } else {
        statement.setObject(i + 1, value);
      }
    }
  }
}
