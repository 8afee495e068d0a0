package dev.tollgate.controlplane.keys;

import dev.tollgate.controlplane.admin.CursorPageView;
import dev.tollgate.controlplane.admin.ListQuery;
import dev.tollgate.controlplane.admin.ListQuery.SortColumn;
import dev.tollgate.controlplane.admin.ListRequest;
import dev.tollgate.controlplane.admin.PageView;
import dev.tollgate.controlplane.replica.ReadConnections;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hibernate.StatelessSession;

/**
 * Lists api keys at a million rows: ids come from {@code api_key_listing} (see V3) through the
 * index of the sort order, totals from {@code api_key_count} where the filters allow, and then
 * exactly one page of {@code api_key} rows is loaded by id.
 *
 * <p>Sorting by requests, tokens or last_used reads the listing's copy of those counters, which
 * {@link ListingRefresher} keeps within one refresh cycle of the live values that items show.
 */
@ApplicationScoped
public class ApiKeyRepository {

  public static final Set<String> STATUSES =
      Set.of("active", "disabled", "expired", "quota_exhausted", "revoked");

  public static final ListRequest.Spec SPEC =
      new ListRequest.Spec(
          List.of("created", "last_used", "requests", "tokens"),
          STATUSES,
          Set.of(),
          true,
          true,
          true,
          true);

  private static final Map<String, SortColumn> SORTS =
      Map.of(
          "created", new SortColumn("l.key_id", "int8"),
          "last_used", new SortColumn("l.last_accessed_at", "timestamptz"),
          "requests", new SortColumn("l.requests", "int8"),
          "tokens", new SortColumn("l.total_tokens", "int8"));

  /** In a group, creation order is the binding index's key order: no sort, no join for order. */
  private static final Map<String, SortColumn> GROUP_SORTS =
      Map.of(
          "created", new SortColumn("g.key_id", "int8"),
          "last_used", new SortColumn("l.last_accessed_at", "timestamptz"),
          "requests", new SortColumn("l.requests", "int8"),
          "tokens", new SortColumn("l.total_tokens", "int8"));

  /** Ids per api_key_count 'bucket' block: id >> 12 in the V3 triggers. */
  private static final long BLOCK = 4096;

  private final ReadConnections reads;

  ApiKeyRepository(ReadConnections reads) {
    this.reads = reads;
  }

  @Transactional(Transactional.TxType.MANDATORY)
  public Object list(ListRequest request) {
    ListQuery query = query(request);
    // Ids, rows and totals on one connection: the replica's when it serves (ReadConnections).
    try (Connection connection = reads.connection();
        StatelessSession rows = reads.entities(connection)) {
      ListQuery.Ids ids =
          deepInCreationOrder(request)
              ? query.ids(connection, request, skipToBlock(connection, query, request))
              : query.ids(connection, request);
      List<ApiKeyView> items = load(rows, ids.ids());
      if (request.cursorMode()) {
        return new CursorPageView<>(items, ids.nextCursor());
      }
      Long counted = request.onlyCountedFilters() ? maintainedCount(connection, request) : null;
      if (counted != null) {
        return PageView.of(items, counted, true, request);
      }
      long total = query.count(connection, ListQuery.COUNT_CAP);
      return total > ListQuery.COUNT_CAP
          ? PageView.of(items, ListQuery.COUNT_CAP, false, request)
          : PageView.of(items, total, true, request);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot list api keys", e);
    }
  }

  private static ListQuery query(ListRequest request) {
    ListQuery query;
    if (request.groupId() != null) {
      query =
          new ListQuery(
                  "api_key_group g JOIN api_key_listing l ON l.key_id = g.key_id",
                  "g.key_id",
                  GROUP_SORTS)
              .where("g.group_id = ?", request.groupId());
    } else {
      query = new ListQuery("api_key_listing l", "l.key_id", SORTS);
    }
    query.statuses("l.status", request);
    if (request.userId() != null) {
      query.where("l.user_id = ?", request.userId());
    }
    if (request.search() != null) {
      query.where(
          "(l.name ILIKE ? OR l.prefix LIKE ?)",
          "%" + ListQuery.escapeLike(request.search()) + "%",
          ListQuery.escapeLike(request.search()) + "%");
    }
    query.range("l.created_at", request.createdFrom(), request.createdTo());
    query.range("l.last_accessed_at", request.lastUsedFrom(), request.lastUsedTo());
    return query;
  }

  /** Pages that lie beyond the first block of ids in creation order (unfiltered or by status). */
  private static boolean deepInCreationOrder(ListRequest request) {
    return !request.cursorMode()
        && request.sort().equals("created")
        && request.userId() == null
        && request.groupId() == null
        && request.onlyCountedFilters()
        && (long) (request.page() - 1) * request.size() >= BLOCK;
  }

  /**
   * Narrows {@code query} to the block of 4096 ids (api_key_count scope 'bucket') holding the
   * page's first row, found by summing the counts of the blocks before it in sort order, and
   * returns the offset left to skip inside it: a deep page costs a few hundred count rows and at
   * most one block of index entries, whatever its depth.
   */
  private static long skipToBlock(Connection connection, ListQuery query, ListRequest request)
      throws SQLException {
    long offset = (long) (request.page() - 1) * request.size();
    String direction = request.descending() ? "DESC" : "ASC";
    try (PreparedStatement statement =
        connection.prepareStatement(
            "SELECT block, before FROM ("
                + " SELECT scope_id AS block, sum(n) AS n,"
                + " sum(sum(n)) OVER (ORDER BY scope_id "
                + direction
                + ") - sum(n) AS before"
                + " FROM api_key_count WHERE scope = 'bucket' AND status = ANY(?)"
                + " GROUP BY scope_id) blocks"
                + " WHERE before + n > ? ORDER BY block "
                + direction
                + " LIMIT 1")) {
      statement.setArray(1, connection.createArrayOf("text", countedStatuses(request).toArray()));
      statement.setLong(2, offset);
      try (ResultSet rows = statement.executeQuery()) {
        if (!rows.next()) {
          // Past the end: an empty page, as OFFSET would give.
          return offset;
        }
        long block = rows.getLong(1);
        long before = rows.getLong(2);
        if (request.descending()) {
          query.where("l.key_id < ?", (block + 1) * BLOCK);
        } else {
          query.where("l.key_id >= ?", block * BLOCK);
        }
        return offset - before;
      }
    }
  }

  private static List<String> countedStatuses(ListRequest request) {
    var statuses = new ArrayList<>(request.statuses().isEmpty() ? STATUSES : request.statuses());
    statuses.removeAll(request.excludedStatuses());
    return statuses;
  }

  /**
   * The total from api_key_count when the filters are status, user and group only (one of user and
   * group); null when the counts cannot answer.
   */
  private static Long maintainedCount(Connection connection, ListRequest request)
      throws SQLException {
    if (request.userId() != null && request.groupId() != null) {
      return null;
    }
    String scope = request.userId() != null ? "user" : request.groupId() != null ? "group" : "all";
    long scopeId =
        request.userId() != null
            ? request.userId()
            : request.groupId() != null ? request.groupId() : 0;
    List<String> statuses = countedStatuses(request);
    try (PreparedStatement statement =
        connection.prepareStatement(
            "SELECT COALESCE(sum(n), 0) FROM api_key_count"
                + " WHERE scope = ? AND scope_id = ? AND status = ANY(?)")) {
      statement.setString(1, scope);
      statement.setLong(2, scopeId);
      statement.setArray(3, connection.createArrayOf("text", statuses.toArray()));
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  /** The keys with these ids, in this order, with their group bindings, in one query. */
  private static List<ApiKeyView> load(StatelessSession rows, List<Long> ids) {
    if (ids.isEmpty()) {
      return List.of();
    }
    Map<Long, ApiKey> byId = new HashMap<>();
    rows.createSelectionQuery(
            "SELECT DISTINCT k FROM ApiKey k LEFT JOIN FETCH k.groupIds WHERE k.id IN ?1",
            ApiKey.class)
        .setParameter(1, ids)
        .getResultList()
        .forEach(key -> byId.put(key.id, key));
    var views = new ArrayList<ApiKeyView>(ids.size());
    for (Long id : ids) {
      ApiKey key = byId.get(id);
      if (key != null) {
        views.add(ApiKeyView.of(key));
      }
    }
    return views;
  }
}
