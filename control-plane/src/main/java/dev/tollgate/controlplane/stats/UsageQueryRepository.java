package dev.tollgate.controlplane.stats;

import dev.tollgate.controlplane.replica.ReadConnections;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the usage tiers and the counters the flush keeps. Every query is an index range scan over a
 * bounded number of rows (see {@link Tier#cover}) or a primary-key lookup: none grows with the
 * number of keys or the age of the installation. Plain JDBC: these are read-only aggregates with no
 * entity behind them. They read the read replica when it serves ({@link ReadConnections}): usage a
 * moment behind the primary is what a flush interval already makes it.
 */
@ApplicationScoped
public class UsageQueryRepository {

  /** The eight counters every usage read answers, in {@link #counts} order. */
  private static final String SUMS =
      "coalesce(sum(requests), 0), coalesce(sum(success_requests), 0),"
          + " coalesce(sum(failure_requests), 0), coalesce(sum(rate_limited_requests), 0),"
          + " coalesce(sum(estimated_requests), 0),"
          + " coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0),"
          + " coalesce(sum(total_tokens), 0)";

  private static final String COLUMNS =
      "requests, success_requests, failure_requests, rate_limited_requests, estimated_requests,"
          + " prompt_tokens, completion_tokens, total_tokens";

  private final ReadConnections reads;

  UsageQueryRepository(ReadConnections reads) {
    this.reads = reads;
  }

  /** Requests and tokens of one usage read. */
  record Counts(RequestCounts requests, TokenCounts tokens) {
    static final Counts ZERO =
        new Counts(new RequestCounts(0, 0, 0, 0, 0), new TokenCounts(0, 0, 0));
  }

  /** The totals of {@code scope} over each of {@code ranges} ([from, to) pairs). */
  List<Counts> totals(UsageScope scope, List<Instant[]> ranges) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT w, ").append(SUMS).append(" FROM (");
    List<Object[]> parts = new ArrayList<>();
    for (int w = 0; w < ranges.size(); w++) {
      for (Tier.Segment segment : Tier.cover(ranges.get(w)[0], ranges.get(w)[1])) {
        sql.append(parts.isEmpty() ? "" : " UNION ALL ")
            .append("SELECT ")
            .append(w)
            .append(" AS w, ")
            .append(COLUMNS)
            .append(" FROM ")
            .append(scope.from(segment.tier()))
            .append(" AND bucket_start >= ? AND bucket_start < ?");
        parts.add(new Object[] {segment});
      }
    }
    sql.append(") x GROUP BY w");
    Counts[] result = new Counts[ranges.size()];
    java.util.Arrays.fill(result, Counts.ZERO);
    if (parts.isEmpty()) {
      return List.of(result);
    }
    try (Connection c = reads.connection();
        PreparedStatement statement = c.prepareStatement(sql.toString())) {
      int index = 1;
      for (Object[] part : parts) {
        Tier.Segment segment = (Tier.Segment) part[0];
        index = scope.bind(statement, index);
        statement.setTimestamp(index++, Timestamp.from(segment.from()));
        statement.setTimestamp(index++, Timestamp.from(segment.to()));
      }
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          result[rows.getInt(1)] = counts(rows, 2);
        }
      }
    }
    return List.of(result);
  }

  /** Non-empty buckets of {@code scope} in [from, to) of one tier, by bucket start. */
  Map<Instant, Counts> series(UsageScope scope, Tier tier, Instant from, Instant to)
      throws SQLException {
    String sql =
        "SELECT bucket_start, "
            + SUMS
            + " FROM "
            + scope.from(tier)
            + " AND bucket_start >= ? AND bucket_start < ? GROUP BY bucket_start";
    Map<Instant, Counts> points = new LinkedHashMap<>();
    try (Connection c = reads.connection();
        PreparedStatement statement = c.prepareStatement(sql)) {
      int index = scope.bind(statement, 1);
      statement.setTimestamp(index++, Timestamp.from(from));
      statement.setTimestamp(index, Timestamp.from(to));
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          points.put(rows.getTimestamp(1).toInstant(), counts(rows, 2));
        }
      }
    }
    return points;
  }

  /** One key's usage per model in [from, to), most requests first. */
  List<ModelUsage> byModel(long keyId, Instant from, Instant to) throws SQLException {
    List<Tier.Segment> segments = Tier.cover(from, to);
    StringBuilder sql = new StringBuilder("SELECT model, ").append(SUMS).append(" FROM (");
    for (int i = 0; i < segments.size(); i++) {
      sql.append(i == 0 ? "" : " UNION ALL ")
          .append("SELECT model, ")
          .append(COLUMNS)
          .append(" FROM ")
          .append(segments.get(i).tier().keyTable)
          .append(" WHERE key_id = ? AND bucket_start >= ? AND bucket_start < ?");
    }
    sql.append(") x GROUP BY model ORDER BY 2 DESC, model");
    List<ModelUsage> models = new ArrayList<>();
    try (Connection c = reads.connection();
        PreparedStatement statement = c.prepareStatement(sql.toString())) {
      int index = 1;
      for (Tier.Segment segment : segments) {
        statement.setLong(index++, keyId);
        statement.setTimestamp(index++, Timestamp.from(segment.from()));
        statement.setTimestamp(index++, Timestamp.from(segment.to()));
      }
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          Counts counts = counts(rows, 2);
          models.add(new ModelUsage(rows.getString(1), counts.requests(), counts.tokens()));
        }
      }
    }
    return models;
  }

  /** True when a row with that id exists in {@code table} (a fixed table name, never input). */
  boolean exists(String table, long id) throws SQLException {
    try (Connection c = reads.connection();
        PreparedStatement statement =
            c.prepareStatement("SELECT 1 FROM " + table + " WHERE id = ?")) {
      statement.setLong(1, id);
      try (ResultSet rows = statement.executeQuery()) {
        return rows.next();
      }
    }
  }

  /** Keys per status from V3's api_key_count, and the totals row the flush and triggers keep. */
  KeyStats keyStats(List<String> statuses) throws SQLException {
    Map<String, Long> byStatus = new LinkedHashMap<>();
    statuses.forEach(status -> byStatus.put(status, 0L));
    long total = 0;
    try (Connection c = reads.connection()) {
      try (PreparedStatement statement =
              c.prepareStatement(
                  "SELECT status, n FROM api_key_count WHERE scope = 'all' AND scope_id = 0"
                      + " ORDER BY status");
          ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          long keys = rows.getLong(2);
          if (keys != 0 || statuses.contains(rows.getString(1))) {
            byStatus.put(rows.getString(1), keys);
          }
          total += keys;
        }
      }
      try (PreparedStatement statement =
              c.prepareStatement(
                  "SELECT limited_keys, quota_limit_sum, quota_used, "
                      + COLUMNS
                      + " FROM api_key_usage_totals");
          ResultSet rows = statement.executeQuery()) {
        rows.next();
        Counts counts = counts(rows, 4);
        return new KeyStats(
            total,
            byStatus,
            new KeyStats.Quota(rows.getLong(1), rows.getLong(2), rows.getLong(3)),
            counts.requests(),
            counts.tokens());
      }
    }
  }

  /** Every provider group that is not deleted, by id, with its counters. */
  List<GroupUsage> groups() throws SQLException {
    List<GroupUsage> groups = new ArrayList<>();
    try (Connection c = reads.connection();
        PreparedStatement statement =
            c.prepareStatement(
                "SELECT id, name, platform, status, "
                    + COLUMNS
                    + " FROM provider_group WHERE status <> 'deleted' ORDER BY id");
        ResultSet rows = statement.executeQuery()) {
      while (rows.next()) {
        Counts counts = counts(rows, 5);
        groups.add(
            new GroupUsage(
                rows.getLong(1),
                rows.getString(2),
                rows.getString(3),
                rows.getString(4),
                counts.requests(),
                counts.tokens(),
                counts.requests().successRate(),
                counts.requests().failureRate()));
      }
    }
    return groups;
  }

  /** A provider group's (groupTable) or provider key's counters, or null when it doesn't exist. */
  UpstreamStats upstream(long id, boolean providerKey) throws SQLException {
    String sql =
        providerKey
            ? "SELECT id, group_id, status, "
                + COLUMNS
                + ", upstream_429_rpm, upstream_429_concurrency,"
                + " upstream_429_unknown, latency_ms_sum, last_429_at, last_429_kind,"
                + " last_used_at FROM provider_key WHERE id = ?"
            : "SELECT id, NULL, status, "
                + COLUMNS
                + ", upstream_429_rpm, upstream_429_concurrency,"
                + " upstream_429_unknown, latency_ms_sum, NULL, NULL, NULL"
                + " FROM provider_group WHERE id = ?";
    try (Connection c = reads.connection();
        PreparedStatement statement = c.prepareStatement(sql)) {
      statement.setLong(1, id);
      try (ResultSet rows = statement.executeQuery()) {
        if (!rows.next()) {
          return null;
        }
        Counts counts = counts(rows, 4);
        long requests = counts.requests().total();
        long latency = rows.getLong(15);
        return new UpstreamStats(
            rows.getLong(1),
            (Long) rows.getObject(2),
            rows.getString(3),
            counts.requests(),
            counts.tokens(),
            counts.requests().estimated(),
            counts.requests().successRate(),
            counts.requests().failureRate(),
            Upstream429s.of(rows.getLong(12), rows.getLong(13), rows.getLong(14)),
            requests == 0 ? null : (double) latency / requests,
            instant(rows.getTimestamp(16)),
            rows.getString(17),
            instant(rows.getTimestamp(18)),
            null);
      }
    }
  }

  /**
   * The keys with the most failures (or 429s) in hours from {@code from}: only keys that failed
   * have rows in usage_key_failure_hour, so this reads the failing keys of the window, then the
   * requests of the {@code limit} chosen ones.
   */
  List<AttentionItem> failingKeys(Instant from, boolean byRateLimited, int limit)
      throws SQLException {
    String sql =
        """
        SELECT t.key_id, k.name, k.status, t.f, t.rl,
               (SELECT coalesce(sum(h.requests), 0) FROM usage_hour h
                 WHERE h.key_id = t.key_id AND h.bucket_start >= ?)
          FROM (SELECT key_id, sum(failure_requests) AS f, sum(rate_limited_requests) AS rl
                  FROM usage_key_failure_hour WHERE bucket_start >= ?
                 GROUP BY key_id HAVING sum(%1$s) > 0
                 ORDER BY sum(%1$s) DESC, key_id LIMIT ?) t
          JOIN api_key k ON k.id = t.key_id
         ORDER BY t.%2$s DESC, t.key_id
        """
            .formatted(
                byRateLimited ? "rate_limited_requests" : "failure_requests",
                byRateLimited ? "rl" : "f");
    try (Connection c = reads.connection();
        PreparedStatement statement = c.prepareStatement(sql)) {
      statement.setTimestamp(1, Timestamp.from(from));
      statement.setTimestamp(2, Timestamp.from(from));
      statement.setInt(3, limit);
      return attention(statement);
    }
  }

  /** The provider keys with the most failures (or 429s) in hours from {@code from}. */
  List<AttentionItem> failingProviderKeys(Instant from, boolean byRateLimited, int limit)
      throws SQLException {
    String order = byRateLimited ? "rl" : "f";
    String sql =
        """
        SELECT t.id, p.base_url, p.status, t.f, t.rl, t.r
          FROM (SELECT subject::bigint AS id, sum(requests) AS r, sum(failure_requests) AS f,
                       sum(rate_limited_requests) AS rl
                  FROM usage_scope_hour WHERE scope = 'provider_key' AND bucket_start >= ?
                 GROUP BY subject) t
          JOIN provider_key p ON p.id = t.id
         WHERE t.%1$s > 0
         ORDER BY t.%1$s DESC, t.id LIMIT ?
        """
            .formatted(order);
    try (Connection c = reads.connection();
        PreparedStatement statement = c.prepareStatement(sql)) {
      statement.setTimestamp(1, Timestamp.from(from));
      statement.setInt(2, limit);
      return attention(statement);
    }
  }

  /** Rows of (id, name, status, failures, rate limited, requests). */
  private static List<AttentionItem> attention(PreparedStatement statement) throws SQLException {
    List<AttentionItem> items = new ArrayList<>();
    try (ResultSet rows = statement.executeQuery()) {
      while (rows.next()) {
        long failures = rows.getLong(4);
        long requests = rows.getLong(6);
        items.add(
            new AttentionItem(
                rows.getLong(1),
                rows.getString(2),
                rows.getString(3),
                requests,
                failures,
                rows.getLong(5),
                requests == 0 ? null : (double) failures / requests));
      }
    }
    return items;
  }

  /** The eight counters from column {@code first} on (see {@link #COLUMNS}). */
  private static Counts counts(ResultSet rows, int first) throws SQLException {
    return new Counts(
        new RequestCounts(
            rows.getLong(first),
            rows.getLong(first + 1),
            rows.getLong(first + 2),
            rows.getLong(first + 3),
            rows.getLong(first + 4)),
        new TokenCounts(rows.getLong(first + 5), rows.getLong(first + 6), rows.getLong(first + 7)));
  }

  private static Instant instant(Timestamp timestamp) {
    return timestamp == null ? null : timestamp.toInstant();
  }
}
