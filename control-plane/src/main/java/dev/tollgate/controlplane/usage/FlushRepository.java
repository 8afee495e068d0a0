package dev.tollgate.controlplane.usage;

import dev.tollgate.proto.usage.v1.ConcurrencyAdjustment;
import dev.tollgate.proto.usage.v1.ErrorEvent;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.KeyDelta;
import dev.tollgate.proto.usage.v1.UsageBucket;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;
import java.util.stream.LongStream;
import org.postgresql.PGConnection;

/**
 * Applies one flush batch with a fixed number of set-based statements, whatever its size: each
 * table gets one statement whose rows come from {@code unnest} over arrays bound as parameters.
 *
 * <p>Plain JDBC on a connection the caller owns (its transaction, its commit), so the benchmark in
 * {@code bench/flush-apply} runs exactly this code.
 *
 * <p>Row locks are taken per table in a fixed order (api_key, provider_key, provider_group, the
 * usage tiers of {@link UsageTiers}, api_key_usage_totals) and, within a table, in ascending key
 * order, so two concurrent flushes never wait on each other in a cycle. An {@code UPDATE … FROM}
 * locks rows in the order its join produces them: the arrays are therefore bound sorted by id
 * ({@link DeltaRows}) and hash joins are turned off for the transaction, so the join is a nested
 * loop (or a merge join) driven by the sorted arrays, which PostgreSQL emits in their order. That
 * costs nothing and saves a separate {@code SELECT … FOR UPDATE} pass over every row; where the
 * order cannot come from the input (the groups, rolled up through an aggregate) an explicit ordered
 * lock is taken. A deadlock that still happens, against some other writer, is retried by {@link
 * UsageFlushService}.
 */
public final class FlushRepository {

  /** What applying a batch did. */
  public record Outcome(boolean duplicate, long appliedSequence) {}

  private static final String ADVANCE_LEDGER =
      """
      INSERT INTO flush_ledger AS l (dp_instance_id, last_sequence, errors_dropped)
      VALUES (?, ?, ?)
      ON CONFLICT (dp_instance_id) DO UPDATE
         SET last_sequence = EXCLUDED.last_sequence,
             errors_dropped = l.errors_dropped + EXCLUDED.errors_dropped,
             updated_at = now()
       WHERE l.last_sequence < EXCLUDED.last_sequence
      RETURNING last_sequence
      """;

  private static final String LAST_SEQUENCE =
      "SELECT last_sequence FROM flush_ledger WHERE dp_instance_id = ?";

  // Only for ids the deltas do not name (buckets, error events): those rows are not updated. The
  // owner / group comes back because the usage tiers roll buckets up per user and per group.
  private static final String KEY_OWNERS = "SELECT id, user_id FROM api_key WHERE id = ANY(?)";

  private static final String PROVIDER_KEY_GROUPS =
      "SELECT id, group_id FROM provider_key WHERE id = ANY(?)";

  private static final String MISSING_KEYS =
      "SELECT x FROM unnest(?::int8[]) x WHERE NOT EXISTS (SELECT 1 FROM api_key WHERE id = x)"
          + " ORDER BY x LIMIT 5";

  private static final String MISSING_PROVIDER_KEYS =
      "SELECT x FROM unnest(?::int8[]) x"
          + " WHERE NOT EXISTS (SELECT 1 FROM provider_key WHERE id = x) ORDER BY x LIMIT 5";

  // See the class comment: joins follow the id-sorted arrays, so rows are locked in id order.
  private static final String JOIN_IN_INPUT_ORDER = "SET LOCAL enable_hashjoin = off";

  // The usage tiers aggregate a batch's buckets per hour and day (UsageTiers): with the default
  // 4 MB a batch of 100,000 buckets spills those aggregates and their sorts to disk.
  private static final String AGGREGATE_IN_MEMORY = "SET LOCAL work_mem = '64MB'";

  // FOR NO KEY UPDATE is the lock the UPDATE itself takes; unlike FOR UPDATE it does not block
  // inserts elsewhere that merely reference these rows by foreign key.
  private static final String LOCK_GROUPS =
      """
      SELECT count(*) FROM (SELECT id FROM provider_group
                             WHERE id IN (SELECT group_id FROM provider_key WHERE id = ANY(?))
                             ORDER BY id FOR NO KEY UPDATE) l
      """;

  // Ids are unique and sorted here (DeltaRows): UPDATE ... FROM would apply only one of two rows
  // joined to the same id.
  private static final String UPDATE_KEYS =
      """
      UPDATE api_key k
         SET requests = k.requests + d.r,
             success_requests = k.success_requests + d.s,
             failure_requests = k.failure_requests + d.f,
             prompt_tokens = k.prompt_tokens + d.p,
             completion_tokens = k.completion_tokens + d.c,
             total_tokens = k.total_tokens + d.t,
             rate_limited_requests = k.rate_limited_requests + d.rl,
             estimated_requests = k.estimated_requests + d.e,
             quota_used = k.quota_used + d.t,
             last_accessed_at = GREATEST(k.last_accessed_at, to_timestamp(NULLIF(d.a, 0)::float8 / 1000))
        FROM unnest(?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[],
                    ?::int8[], ?::int8[], ?::int8[]) AS d(id, r, s, f, p, c, t, rl, e, a)
       WHERE k.id = d.id
      """;

  // Keys with a quota whose quota_used this batch advanced get a new config revision, so every data
  // plane receives the new quota_used with the next Watch message (within about a poll interval of
  // the commit) and checks the quota against it. The revision is taken only when such a key exists;
  // its row lock (config_state) is taken after the key rows, as every admin change of a key does.
  // The key rows are already locked by UPDATE_KEYS in this transaction.
  private static final String RESTAMP_QUOTA_KEYS =
      """
      WITH limited AS (SELECT id FROM api_key WHERE id = ANY(?::int8[]) AND quota_limit >= 0),
           rev AS (UPDATE config_state SET revision = revision + 1
                    WHERE id = 1 AND EXISTS (SELECT 1 FROM limited) RETURNING revision)
      UPDATE api_key k SET config_revision = rev.revision
        FROM rev, limited l
       WHERE k.id = l.id
      """;

  // Only when the batch has buckets: the tiers need each key's owner.
  private static final String RETURNING_OWNERS = " RETURNING k.id, k.user_id";

  private static final String PROVIDER_COUNTERS =
      """
      ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[],
      ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[]""";

  private static final String PROVIDER_COUNTER_NAMES =
      """
      id, requests, success_requests, failure_requests, prompt_tokens, completion_tokens,
      total_tokens, rate_limited_requests, estimated_requests, latency_ms_sum, upstream_429_rpm,
      upstream_429_concurrency, upstream_429_unknown""";

  private static final String PROVIDER_DELTAS =
      "SELECT * FROM unnest(%s, ?::int8[], ?::text[], ?::int8[], ?::int8[], ?::int8[]) AS u(%s,"
              .formatted(PROVIDER_COUNTERS, PROVIDER_COUNTER_NAMES)
          + " last_429_ms, last_429_kind, last_used_ms, learned_limit, learned_ms)";

  private static final String PROVIDER_COUNTERS_ONLY =
      "SELECT * FROM unnest(%s) AS u(%s)".formatted(PROVIDER_COUNTERS, PROVIDER_COUNTER_NAMES);

  private static final String ADD_PROVIDER_COUNTERS =
      """
         SET requests = %1$s.requests + d.requests,
             success_requests = %1$s.success_requests + d.success_requests,
             failure_requests = %1$s.failure_requests + d.failure_requests,
             prompt_tokens = %1$s.prompt_tokens + d.prompt_tokens,
             completion_tokens = %1$s.completion_tokens + d.completion_tokens,
             total_tokens = %1$s.total_tokens + d.total_tokens,
             rate_limited_requests = %1$s.rate_limited_requests + d.rate_limited_requests,
             estimated_requests = %1$s.estimated_requests + d.estimated_requests,
             latency_ms_sum = %1$s.latency_ms_sum + d.latency_ms_sum,
             upstream_429_rpm = %1$s.upstream_429_rpm + d.upstream_429_rpm,
             upstream_429_concurrency = %1$s.upstream_429_concurrency + d.upstream_429_concurrency,
             upstream_429_unknown = %1$s.upstream_429_unknown + d.upstream_429_unknown""";

  // The newest 429 wins, never moving backwards; last_used_at likewise (a data plane that does
  // not report it yet is taken to have used the key now). The learned limit is the newest
  // adjustment's, unless an operator reset learning after it or an adjustment already stored is
  // newer; the batch's own adjustments are inserted after this statement.
  private static final String UPDATE_PROVIDER_KEYS =
      """
      UPDATE provider_key k
      %s,
             last_429_at = CASE WHEN d.last_429_ms > 0
                                 AND (k.last_429_at IS NULL
                                      OR k.last_429_at <= to_timestamp(d.last_429_ms / 1000.0))
                                THEN to_timestamp(d.last_429_ms / 1000.0)
                                ELSE k.last_429_at END,
             last_429_kind = CASE WHEN d.last_429_ms > 0
                                   AND (k.last_429_at IS NULL
                                        OR k.last_429_at <= to_timestamp(d.last_429_ms / 1000.0))
                                  THEN d.last_429_kind
                                  ELSE k.last_429_kind END,
             last_used_at = CASE WHEN d.last_used_ms > 0
                                 THEN GREATEST(k.last_used_at, to_timestamp(d.last_used_ms / 1000.0))
                                 WHEN d.requests > 0 THEN GREATEST(k.last_used_at, now())
                                 ELSE k.last_used_at END,
             learned_max_concurrent =
               CASE WHEN d.learned_ms > 0
                     AND (k.learning_reset_at IS NULL
                          OR k.learning_reset_at < to_timestamp(d.learned_ms / 1000.0))
                     AND NOT EXISTS (SELECT 1 FROM concurrency_adjustment c
                                      WHERE c.provider_key_id = k.id
                                        AND c.adjusted_at > to_timestamp(d.learned_ms / 1000.0))
                    THEN d.learned_limit::int
                    ELSE k.learned_max_concurrent END
        FROM (%s) d
       WHERE k.id = d.id
      RETURNING k.id, k.group_id
      """
          .formatted(ADD_PROVIDER_COUNTERS.formatted("k"), PROVIDER_DELTAS);

  // A group's totals are the sum of its provider keys' deltas, rolled up in the same transaction.
  private static final String UPDATE_GROUPS =
      """
      UPDATE provider_group g
      %s
        FROM (SELECT pk.group_id AS id,
                     sum(d.requests)::bigint AS requests,
                     sum(d.success_requests)::bigint AS success_requests,
                     sum(d.failure_requests)::bigint AS failure_requests,
                     sum(d.prompt_tokens)::bigint AS prompt_tokens,
                     sum(d.completion_tokens)::bigint AS completion_tokens,
                     sum(d.total_tokens)::bigint AS total_tokens,
                     sum(d.rate_limited_requests)::bigint AS rate_limited_requests,
                     sum(d.estimated_requests)::bigint AS estimated_requests,
                     sum(d.latency_ms_sum)::bigint AS latency_ms_sum,
                     sum(d.upstream_429_rpm)::bigint AS upstream_429_rpm,
                     sum(d.upstream_429_concurrency)::bigint AS upstream_429_concurrency,
                     sum(d.upstream_429_unknown)::bigint AS upstream_429_unknown
                FROM (%s) d JOIN provider_key pk ON pk.id = d.id
               GROUP BY pk.group_id) d
       WHERE g.id = d.id
      """
          .formatted(ADD_PROVIDER_COUNTERS.formatted("g"), PROVIDER_COUNTERS_ONLY);

  // In the order the data plane made them (the contract's order), after the UPDATE above.
  private static final String INSERT_ADJUSTMENTS =
      """
      INSERT INTO concurrency_adjustment (provider_key_id, adjusted_at, old_limit, new_limit, reason,
             utilisation, dp_instance_id)
      SELECT pk, to_timestamp(at / 1000.0), old_limit, new_limit, reason, utilisation, ?
        FROM unnest(?::int8[], ?::int8[], ?::int4[], ?::int4[], ?::text[], ?::float8[])
             WITH ORDINALITY AS u(pk, at, old_limit, new_limit, reason, utilisation, n)
       ORDER BY n
      """;

  // Taken last, by every flush: the single row is then held only from here to the commit.
  private static final String ADD_KEY_TOTALS =
      """
      UPDATE api_key_usage_totals
         SET quota_used = quota_used + ?,
             requests = requests + ?,
             success_requests = success_requests + ?,
             failure_requests = failure_requests + ?,
             prompt_tokens = prompt_tokens + ?,
             completion_tokens = completion_tokens + ?,
             total_tokens = total_tokens + ?,
             rate_limited_requests = rate_limited_requests + ?,
             estimated_requests = estimated_requests + ?
       WHERE id = 1
      """;

  private static final String INSERT_ERRORS =
      """
      INSERT INTO error_event (occurred_at, key_id, provider_key_id, model, status_code,
             error_class, message, latency_ms, request_id, dp_instance_id)
      SELECT to_timestamp(o / 1000.0), k, NULLIF(pk, 0), model, status, class, message, latency,
             request_id, ?
        FROM unnest(?::int8[], ?::int8[], ?::int8[], ?::text[], ?::int4[], ?::text[], ?::text[],
                    ?::int8[], ?::text[]) AS u(o, k, pk, model, status, class, message, latency,
                    request_id)
      """;

  /**
   * Applies {@code batch} on {@code connection}, which must have auto-commit off; the caller
   * commits, or rolls back on any exception.
   *
   * @throws InvalidFlushException when the batch names a key or provider key that does not exist
   *     (the caller must roll back: the ledger has been advanced by then)
   */
  public Outcome apply(Connection connection, FlushRequest batch) throws SQLException {
    Long advanced = advanceLedger(connection, batch);
    if (advanced == null) {
      return new Outcome(true, lastSequence(connection, batch.getDpInstanceId()));
    }
    applyCounts(connection, batch);
    return new Outcome(false, advanced);
  }

  /**
   * Applies everything {@code batch} carries but its ledger entry, which the caller has advanced
   * ({@link FlushCoalescer} applies several data planes' batches merged into one this way).
   */
  void applyCounts(Connection connection, FlushRequest batch) throws SQLException {
    PGConnection pg = connection.unwrap(PGConnection.class);
    try (Statement statement = connection.createStatement()) {
      statement.execute(JOIN_IN_INPUT_ORDER);
      if (batch.getBucketsCount() > 0) {
        statement.execute(AGGREGATE_IN_MEMORY);
      }
    }
    boolean hasBuckets = batch.getBucketsCount() > 0;

    DeltaRows keys =
        DeltaRows.of(
            batch.getKeyDeltasList(),
            KeyDelta::getKeyId,
            KeyDelta::getCounters,
            KeyDelta::getLastAccessedAtUnixMs);
    Map<Long, Long> keyOwners = new HashMap<>();
    if (keys.ids.length > 0) {
      try (PreparedStatement statement =
          connection.prepareStatement(UPDATE_KEYS + (hasBuckets ? RETURNING_OWNERS : ""))) {
        int next = keys.bind(statement, pg, 1);
        statement.setArray(next, pg.createArrayOf("int8", keys.lastAccess));
        long updated = hasBuckets ? collect(statement, keyOwners) : statement.executeUpdate();
        requireAll(connection, pg, updated, keys.ids, MISSING_KEYS, KEY);
      }
      long[] withTokens = keys.idsWithTokens();
      if (withTokens.length > 0) {
        try (PreparedStatement statement = connection.prepareStatement(RESTAMP_QUOTA_KEYS)) {
          statement.setArray(1, pg.createArrayOf("int8", withTokens));
          statement.executeUpdate();
        }
      }
    }
    lookUpOthers(
        connection,
        pg,
        others(
            keys.ids,
            batch.getBucketsList(),
            UsageBucket::getKeyId,
            batch.getErrorsList(),
            ErrorEvent::getKeyId),
        KEY_OWNERS,
        MISSING_KEYS,
        KEY,
        keyOwners);

    ProviderDeltaRows providers =
        ProviderDeltaRows.of(batch.getProviderKeyDeltasList(), batch.getAdjustmentsList());
    Map<Long, Long> providerGroups = new HashMap<>();
    if (providers.ids().length > 0) {
      try (PreparedStatement statement = connection.prepareStatement(UPDATE_PROVIDER_KEYS)) {
        providers.bind(statement, pg, 1, true);
        requireAll(
            connection,
            pg,
            collect(statement, providerGroups),
            providers.ids(),
            MISSING_PROVIDER_KEYS,
            PROVIDER_KEY);
      }
      try (PreparedStatement lock = connection.prepareStatement(LOCK_GROUPS)) {
        lock.setArray(1, pg.createArrayOf("int8", providers.ids()));
        lock.executeQuery().close();
      }
      try (PreparedStatement statement = connection.prepareStatement(UPDATE_GROUPS)) {
        providers.bind(statement, pg, 1, false);
        statement.executeUpdate();
      }
    }
    lookUpOthers(
        connection,
        pg,
        others(
            providers.ids(),
            batch.getBucketsList(),
            UsageBucket::getProviderKeyId,
            batch.getErrorsList(),
            ErrorEvent::getProviderKeyId),
        PROVIDER_KEY_GROUPS,
        MISSING_PROVIDER_KEYS,
        PROVIDER_KEY,
        providerGroups);

    if (batch.getAdjustmentsCount() > 0) {
      insertAdjustments(connection, pg, batch);
    }
    if (hasBuckets) {
      UsageTiers.write(connection, pg, batch.getBucketsList(), keyOwners, providerGroups);
    }
    if (batch.getErrorsCount() > 0) {
      insertErrors(connection, pg, batch);
    }
    if (keys.ids.length > 0) {
      addKeyTotals(connection, keys.sums());
    }
  }

  /** The new last sequence, or null when the batch was already applied. */
  static Long advanceLedger(Connection connection, FlushRequest batch) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(ADVANCE_LEDGER)) {
      statement.setString(1, batch.getDpInstanceId());
      statement.setLong(2, batch.getSequence());
      statement.setLong(3, batch.getErrorsDropped());
      try (ResultSet rows = statement.executeQuery()) {
        return rows.next() ? rows.getLong(1) : null;
      }
    }
  }

  static long lastSequence(Connection connection, String instance) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(LAST_SEQUENCE)) {
      statement.setString(1, instance);
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  /** Runs a statement answering (id, owner) rows into {@code into}; returns the row count. */
  private static long collect(PreparedStatement statement, Map<Long, Long> into)
      throws SQLException {
    long count = 0;
    try (ResultSet rows = statement.executeQuery()) {
      while (rows.next()) {
        into.put(rows.getLong(1), rows.getLong(2));
        count++;
      }
    }
    return count;
  }

  private static final String KEY = "api key key_id";
  private static final String PROVIDER_KEY = "provider key provider_key_id";

  /**
   * Sorted distinct non-zero ids that buckets and error events name but {@code updated} (sorted)
   * does not: usually none, as a data plane counts every bucket's key in its deltas too.
   */
  private static <B, E> long[] others(
      long[] updated,
      List<B> buckets,
      ToLongFunction<B> bucketId,
      List<E> errors,
      ToLongFunction<E> errorId) {
    return LongStream.concat(
            buckets.stream().mapToLong(bucketId), errors.stream().mapToLong(errorId))
        .filter(id -> id != 0 && Arrays.binarySearch(updated, id) < 0)
        .sorted()
        .distinct()
        .toArray();
  }

  /** Reads (id, owner) of {@code ids} into {@code into}; rejects the batch if any is missing. */
  private static void lookUpOthers(
      Connection connection,
      PGConnection pg,
      long[] ids,
      String lookupSql,
      String missingSql,
      String what,
      Map<Long, Long> into)
      throws SQLException {
    if (ids.length == 0) {
      return;
    }
    try (PreparedStatement statement = connection.prepareStatement(lookupSql)) {
      statement.setArray(1, pg.createArrayOf("int8", ids));
      requireAll(connection, pg, collect(statement, into), ids, missingSql, what);
    }
  }

  /**
   * Rejects the batch when fewer than {@code ids.length} rows were found; the missing ids are
   * looked up only then.
   */
  private static void requireAll(
      Connection connection,
      PGConnection pg,
      long found,
      long[] ids,
      String missingSql,
      String what)
      throws SQLException {
    if (found == ids.length) {
      return;
    }
    List<Long> missing = new ArrayList<>();
    try (PreparedStatement statement = connection.prepareStatement(missingSql)) {
      statement.setArray(1, pg.createArrayOf("int8", ids));
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          missing.add(rows.getLong(1));
        }
      }
    }
    long more = ids.length - found - missing.size();
    throw new InvalidFlushException(
        "unknown "
            + what
            + (ids.length - found > 1 ? "s " : " ")
            + missing
            + (more > 0 ? " and " + more + " more" : ""));
  }

  private static void insertAdjustments(Connection connection, PGConnection pg, FlushRequest batch)
      throws SQLException {
    List<ConcurrencyAdjustment> adjustments = batch.getAdjustmentsList();
    try (PreparedStatement statement = connection.prepareStatement(INSERT_ADJUSTMENTS)) {
      statement.setString(1, batch.getDpInstanceId());
      statement.setArray(2, longs(pg, adjustments, ConcurrencyAdjustment::getProviderKeyId));
      statement.setArray(3, longs(pg, adjustments, ConcurrencyAdjustment::getAtUnixMs));
      statement.setArray(
          4,
          pg.createArrayOf(
              "int4", adjustments.stream().mapToInt(ConcurrencyAdjustment::getOldLimit).toArray()));
      statement.setArray(
          5,
          pg.createArrayOf(
              "int4", adjustments.stream().mapToInt(ConcurrencyAdjustment::getNewLimit).toArray()));
      statement.setArray(
          6,
          pg.createArrayOf(
              "text", adjustments.stream().map(ConcurrencyAdjustment::getReason).toArray()));
      statement.setArray(
          7,
          pg.createArrayOf(
              "float8", adjustments.stream().map(ConcurrencyAdjustment::getUtilisation).toArray()));
      statement.executeUpdate();
    }
  }

  private static void addKeyTotals(Connection connection, long[] sums) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(ADD_KEY_TOTALS)) {
      // quota_used grows by total tokens, as in UPDATE_KEYS; then the counters in DeltaRows order.
      statement.setLong(1, sums[5]);
      for (int i = 0; i < sums.length; i++) {
        statement.setLong(i + 2, sums[i]);
      }
      statement.executeUpdate();
    }
  }

  private static void insertErrors(Connection connection, PGConnection pg, FlushRequest batch)
      throws SQLException {
    List<ErrorEvent> errors = batch.getErrorsList();
    try (PreparedStatement statement = connection.prepareStatement(INSERT_ERRORS)) {
      statement.setString(1, batch.getDpInstanceId());
      statement.setArray(2, longs(pg, errors, ErrorEvent::getOccurredAtUnixMs));
      statement.setArray(3, longs(pg, errors, ErrorEvent::getKeyId));
      statement.setArray(4, longs(pg, errors, ErrorEvent::getProviderKeyId));
      statement.setArray(
          5, pg.createArrayOf("text", errors.stream().map(ErrorEvent::getModel).toArray()));
      statement.setArray(
          6,
          pg.createArrayOf("int4", errors.stream().mapToInt(ErrorEvent::getStatusCode).toArray()));
      statement.setArray(
          7, pg.createArrayOf("text", errors.stream().map(ErrorEvent::getErrorClass).toArray()));
      statement.setArray(
          8, pg.createArrayOf("text", errors.stream().map(ErrorEvent::getMessage).toArray()));
      statement.setArray(9, longs(pg, errors, ErrorEvent::getLatencyMs));
      statement.setArray(
          10, pg.createArrayOf("text", errors.stream().map(ErrorEvent::getRequestId).toArray()));
      statement.executeUpdate();
    }
  }

  private static <T> Array longs(PGConnection pg, List<T> rows, ToLongFunction<T> field)
      throws SQLException {
    return pg.createArrayOf("int8", rows.stream().mapToLong(field).toArray());
  }
}
