package dev.tollgate.controlplane.usage;

import dev.tollgate.proto.usage.v1.UsageBucket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.postgresql.PGConnection;

/**
 * Writes a batch's minute buckets into every usage tier (see V4__usage_tiers_and_stats.sql) with
 * one statement: the arrays are sent once and each tier's rows are aggregated from them inside
 * PostgreSQL, in data-modifying CTEs. Every tier therefore moves in the flush's transaction and
 * agrees with the minute buckets exactly; a read never has to wait for, or reconcile with, a rollup
 * job.
 *
 * <p>Each tier's rows are inserted sorted by primary key, so concurrent flushes lock them in one
 * order. Buckets arrive merged per (minute, key, provider key, model), as ON CONFLICT could not
 * update one row twice in a statement.
 */
final class UsageTiers {

  /** The counter columns every tier table has: those of {@link UsageCounter}, then latency. */
  private static final String LATENCY = "latency_ms_sum";

  private static final String COLUMNS = UsageCounter.join("%1$s", ", ", LATENCY);
  private static final String SUMS = UsageCounter.join("sum(%1$s) AS %1$s", ", ", LATENCY);
  private static final String ADD =
      UsageCounter.join("%1$s = m.%1$s + EXCLUDED.%1$s", ",\n         ", LATENCY);

  private static final String WRITE =
      """
      WITH u AS MATERIALIZED (
        SELECT * FROM unnest(?::int8[], ?::int8[], ?::int8[], ?::text[], ?::int8[], ?::int8[],
                             {arrays})
               AS u(b, k, pk, model, uid, gid, {columns})
      ),
      minute AS (
        INSERT INTO usage_minute AS m (bucket_start, key_id, provider_key_id, model, {columns})
        SELECT to_timestamp(b), k, pk, model, {values} FROM u
        ON CONFLICT (bucket_start, key_id, provider_key_id, model) DO UPDATE
           SET {add}
      ),
      hour AS (
        INSERT INTO usage_hour AS m (bucket_start, key_id, model, {columns})
        SELECT to_timestamp(b - b % 3600), k, model, {sums} FROM u
         GROUP BY b - b % 3600, k, model ORDER BY 1, 2, 3
        ON CONFLICT (bucket_start, key_id, model) DO UPDATE
           SET {add}
      ),
      day AS (
        INSERT INTO usage_day AS m (bucket_start, key_id, model, {columns})
        SELECT to_timestamp(b - b % 86400), k, model, {sums} FROM u
         GROUP BY b - b % 86400, k, model ORDER BY 1, 2, 3
        ON CONFLICT (bucket_start, key_id, model) DO UPDATE
           SET {add}
      ),
      failures AS (
        INSERT INTO usage_key_failure_hour AS m (bucket_start, key_id, failure_requests,
               rate_limited_requests)
        SELECT to_timestamp(b - b % 3600), k, sum(failure_requests), sum(rate_limited_requests)
          FROM u WHERE failure_requests > 0
         GROUP BY b - b % 3600, k ORDER BY 1, 2
        ON CONFLICT (bucket_start, key_id) DO UPDATE
           SET failure_requests = m.failure_requests + EXCLUDED.failure_requests,
               rate_limited_requests = m.rate_limited_requests + EXCLUDED.rate_limited_requests
      ),
      scoped AS MATERIALIZED (
        SELECT CASE WHEN GROUPING(uid) = 0 THEN 'user' WHEN GROUPING(gid) = 0 THEN 'group'
                    WHEN GROUPING(pk) = 0 THEN 'provider_key' WHEN GROUPING(model) = 0 THEN 'model'
                    ELSE 'all' END AS scope,
               CASE WHEN GROUPING(uid) = 0 THEN uid::text WHEN GROUPING(gid) = 0 THEN gid::text
                    WHEN GROUPING(pk) = 0 THEN pk::text WHEN GROUPING(model) = 0 THEN model
                    ELSE '' END AS subject,
               b, {sums}
          FROM u
         GROUP BY b, GROUPING SETS ((), (uid), (gid), (pk), (model))
        -- provider key 0 (no upstream reached) belongs to no group and no provider key
        HAVING (GROUPING(gid) = 1 OR gid <> 0) AND (GROUPING(pk) = 1 OR pk <> 0)
      ),
      scope_minute AS (
        INSERT INTO usage_scope_minute AS m (scope, subject, bucket_start, {columns})
        SELECT scope, subject, to_timestamp(b), {values} FROM scoped ORDER BY 1, 2, 3
        ON CONFLICT (scope, subject, bucket_start) DO UPDATE
           SET {add}
      ),
      scope_hour AS (
        INSERT INTO usage_scope_hour AS m (scope, subject, bucket_start, {columns})
        SELECT scope, subject, to_timestamp(b - b % 3600), {sums} FROM scoped
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (scope, subject, bucket_start) DO UPDATE
           SET {add}
      )
      INSERT INTO usage_scope_day AS m (scope, subject, bucket_start, {columns})
      SELECT scope, subject, to_timestamp(b - b % 86400), {sums} FROM scoped
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (scope, subject, bucket_start) DO UPDATE
         SET {add}
      """
          .replace("{arrays}", DeltaRows.arrays(UsageCounter.ALL.size() + 1))
          .replace("{columns}", COLUMNS)
          .replace("{values}", COLUMNS)
          .replace("{sums}", SUMS)
          .replace("{add}", ADD);

  private static final Comparator<UsageBucket> BUCKET_ORDER =
      Comparator.comparingLong(UsageBucket::getBucketStartUnixS)
          .thenComparingLong(UsageBucket::getKeyId)
          .thenComparingLong(UsageBucket::getProviderKeyId)
          .thenComparing(UsageBucket::getModel);

  private UsageTiers() {}

  /**
   * @param keyOwners user_id of every key the buckets name
   * @param providerGroups group_id of every non-zero provider key the buckets name
   */
  static void write(
      Connection connection,
      PGConnection pg,
      List<UsageBucket> unsorted,
      Map<Long, Long> keyOwners,
      Map<Long, Long> providerGroups)
      throws SQLException {
    List<UsageBucket> buckets = sortedDistinct(unsorted);
    int n = buckets.size();
    long[] starts = new long[n];
    long[] keys = new long[n];
    long[] providerKeys = new long[n];
    String[] models = new String[n];
    long[] owners = new long[n];
    long[] groups = new long[n];
    long[] latency = new long[n];
    for (int i = 0; i < n; i++) {
      UsageBucket bucket = buckets.get(i);
      starts[i] = bucket.getBucketStartUnixS();
      keys[i] = bucket.getKeyId();
      providerKeys[i] = bucket.getProviderKeyId();
      models[i] = bucket.getModel();
      owners[i] = keyOwners.get(bucket.getKeyId());
      groups[i] =
          bucket.getProviderKeyId() == 0 ? 0 : providerGroups.get(bucket.getProviderKeyId());
      latency[i] = bucket.getLatencyMsSum();
    }
    try (PreparedStatement statement = connection.prepareStatement(WRITE)) {
      statement.setArray(1, pg.createArrayOf("int8", starts));
      statement.setArray(2, pg.createArrayOf("int8", keys));
      statement.setArray(3, pg.createArrayOf("int8", providerKeys));
      statement.setArray(4, pg.createArrayOf("text", models));
      statement.setArray(5, pg.createArrayOf("int8", owners));
      statement.setArray(6, pg.createArrayOf("int8", groups));
      int next =
          DeltaRows.counters(buckets, UsageBucket::getCounters).bindCounters(statement, pg, 7);
      statement.setArray(next, pg.createArrayOf("int8", latency));
      statement.executeUpdate();
    }
  }

  /** {@code buckets} in {@link #BUCKET_ORDER}, each key once, repeated ones summed. */
  static List<UsageBucket> sortedDistinct(List<UsageBucket> buckets) {
    List<UsageBucket> sorted = new ArrayList<>(buckets);
    sorted.sort(BUCKET_ORDER);
    List<UsageBucket> distinct = new ArrayList<>(sorted.size());
    for (UsageBucket bucket : sorted) {
      int last = distinct.size() - 1;
      if (last >= 0 && BUCKET_ORDER.compare(distinct.get(last), bucket) == 0) {
        distinct.set(last, sum(distinct.get(last), bucket));
      } else {
        distinct.add(bucket);
      }
    }
    return distinct;
  }

  private static UsageBucket sum(UsageBucket a, UsageBucket b) {
    return a.toBuilder()
        .setCounters(UsageCounter.sum(a.getCounters(), b.getCounters()))
        .setLatencyMsSum(a.getLatencyMsSum() + b.getLatencyMsSum())
        .build();
  }
}
