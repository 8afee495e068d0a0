package dev.tollgate.controlplane.usage;

import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.ErrorEvent;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.KeyDelta;
import dev.tollgate.proto.usage.v1.ProviderKeyDelta;
import dev.tollgate.proto.usage.v1.UsageBucket;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
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
 * <p>Row locks are taken per table in a fixed order (api_key, provider_key, provider_group,
 * usage_minute) and, within a table, in ascending key order, so two concurrent flushes never wait
 * on each other in a cycle. An {@code UPDATE … FROM} locks rows in the order its join produces
 * them: the arrays are therefore bound sorted by id ({@link DeltaRows}) and hash joins are turned
 * off for the transaction, so the join is a nested loop (or a merge join) driven by the sorted
 * arrays, which PostgreSQL emits in their order. That costs nothing and saves a separate {@code
 * SELECT … FOR UPDATE} pass over every row; where the order cannot come from the input (the groups,
 * rolled up through an aggregate) an explicit ordered lock is taken. A deadlock that still happens,
 * against some other writer, is retried by {@link UsageFlushService}.
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

  // Only for ids the deltas do not name (buckets, error events): those rows are not updated.
  private static final String COUNT_KEYS = "SELECT count(*) FROM api_key WHERE id = ANY(?)";

  private static final String COUNT_PROVIDER_KEYS =
      "SELECT count(*) FROM provider_key WHERE id = ANY(?)";

  private static final String MISSING_KEYS =
      "SELECT x FROM unnest(?::int8[]) x WHERE NOT EXISTS (SELECT 1 FROM api_key WHERE id = x)"
          + " ORDER BY x LIMIT 5";

  private static final String MISSING_PROVIDER_KEYS =
      "SELECT x FROM unnest(?::int8[]) x"
          + " WHERE NOT EXISTS (SELECT 1 FROM provider_key WHERE id = x) ORDER BY x LIMIT 5";

  // See the class comment: joins follow the id-sorted arrays, so rows are locked in id order.
  private static final String JOIN_IN_INPUT_ORDER = "SET LOCAL enable_hashjoin = off";

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
             quota_used = k.quota_used + d.t,
             last_accessed_at = GREATEST(k.last_accessed_at, to_timestamp(NULLIF(d.a, 0)::float8 / 1000))
        FROM unnest(?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[],
                    ?::int8[]) AS d(id, r, s, f, p, c, t, a)
       WHERE k.id = d.id
      """;

  private static final String PROVIDER_DELTAS =
      """
      SELECT * FROM unnest(?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::int8[],
                           ?::int8[]) AS u(id, requests, success_requests, failure_requests,
                                            prompt_tokens, completion_tokens, total_tokens)
      """;

  private static final String UPDATE_PROVIDER_KEYS =
      """
      UPDATE provider_key k
         SET requests = k.requests + d.requests,
             success_requests = k.success_requests + d.success_requests,
             failure_requests = k.failure_requests + d.failure_requests,
             prompt_tokens = k.prompt_tokens + d.prompt_tokens,
             completion_tokens = k.completion_tokens + d.completion_tokens,
             total_tokens = k.total_tokens + d.total_tokens,
             last_used_at = CASE WHEN d.requests > 0 THEN GREATEST(k.last_used_at, now())
                                 ELSE k.last_used_at END
        FROM (%s) d
       WHERE k.id = d.id
      """
          .formatted(PROVIDER_DELTAS);

  // A group's totals are the sum of its provider keys' deltas, rolled up in the same transaction.
  private static final String UPDATE_GROUPS =
      """
      UPDATE provider_group g
         SET requests = g.requests + s.requests,
             success_requests = g.success_requests + s.success_requests,
             failure_requests = g.failure_requests + s.failure_requests,
             prompt_tokens = g.prompt_tokens + s.prompt_tokens,
             completion_tokens = g.completion_tokens + s.completion_tokens,
             total_tokens = g.total_tokens + s.total_tokens
        FROM (SELECT pk.group_id,
                     sum(d.requests)::bigint AS requests,
                     sum(d.success_requests)::bigint AS success_requests,
                     sum(d.failure_requests)::bigint AS failure_requests,
                     sum(d.prompt_tokens)::bigint AS prompt_tokens,
                     sum(d.completion_tokens)::bigint AS completion_tokens,
                     sum(d.total_tokens)::bigint AS total_tokens
                FROM (%s) d JOIN provider_key pk ON pk.id = d.id
               GROUP BY pk.group_id) s
       WHERE g.id = s.group_id
      """
          .formatted(PROVIDER_DELTAS);

  // Rows arrive sorted by primary key with repeated keys summed (sortedDistinct), so they are
  // inserted, and their rows locked, in one order by every flush; ON CONFLICT could not update
  // one row twice in a statement anyway.
  private static final String UPSERT_BUCKETS =
      """
      INSERT INTO usage_minute AS m (bucket_start, key_id, provider_key_id, model, requests,
             success_requests, failure_requests, prompt_tokens, completion_tokens, total_tokens,
             latency_ms_sum)
      SELECT to_timestamp(b), k, pk, model, r, s, f, p, c, t, l
        FROM unnest(?::int8[], ?::int8[], ?::int8[], ?::text[], ?::int8[], ?::int8[], ?::int8[],
                    ?::int8[], ?::int8[], ?::int8[], ?::int8[]) AS u(b, k, pk, model, r, s, f, p, c, t, l)
      ON CONFLICT (bucket_start, key_id, provider_key_id, model) DO UPDATE
         SET requests = m.requests + EXCLUDED.requests,
             success_requests = m.success_requests + EXCLUDED.success_requests,
             failure_requests = m.failure_requests + EXCLUDED.failure_requests,
             prompt_tokens = m.prompt_tokens + EXCLUDED.prompt_tokens,
             completion_tokens = m.completion_tokens + EXCLUDED.completion_tokens,
             total_tokens = m.total_tokens + EXCLUDED.total_tokens,
             latency_ms_sum = m.latency_ms_sum + EXCLUDED.latency_ms_sum
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
    PGConnection pg = connection.unwrap(PGConnection.class);
    try (Statement statement = connection.createStatement()) {
      statement.execute(JOIN_IN_INPUT_ORDER);
    }

    DeltaRows keys =
        DeltaRows.of(
            batch.getKeyDeltasList(),
            KeyDelta::getKeyId,
            KeyDelta::getCounters,
            KeyDelta::getLastAccessedAtUnixMs);
    if (keys.ids.length > 0) {
      try (PreparedStatement statement = connection.prepareStatement(UPDATE_KEYS)) {
        int next = keys.bind(statement, pg, 1);
        statement.setArray(next, pg.createArrayOf("int8", keys.lastAccess));
        requireAll(connection, pg, statement.executeUpdate(), keys.ids, MISSING_KEYS, KEY);
      }
    }
    requireExisting(
        connection,
        pg,
        others(
            keys.ids,
            batch.getBucketsList(),
            UsageBucket::getKeyId,
            batch.getErrorsList(),
            ErrorEvent::getKeyId),
        COUNT_KEYS,
        MISSING_KEYS,
        KEY);

    DeltaRows providers =
        DeltaRows.of(
            batch.getProviderKeyDeltasList(),
            ProviderKeyDelta::getProviderKeyId,
            ProviderKeyDelta::getCounters,
            d -> 0);
    if (providers.ids.length > 0) {
      try (PreparedStatement statement = connection.prepareStatement(UPDATE_PROVIDER_KEYS)) {
        providers.bind(statement, pg, 1);
        requireAll(
            connection,
            pg,
            statement.executeUpdate(),
            providers.ids,
            MISSING_PROVIDER_KEYS,
            PROVIDER_KEY);
      }
      try (PreparedStatement lock = connection.prepareStatement(LOCK_GROUPS)) {
        lock.setArray(1, pg.createArrayOf("int8", providers.ids));
        lock.executeQuery().close();
      }
      try (PreparedStatement statement = connection.prepareStatement(UPDATE_GROUPS)) {
        providers.bind(statement, pg, 1);
        statement.executeUpdate();
      }
    }
    requireExisting(
        connection,
        pg,
        others(
            providers.ids,
            batch.getBucketsList(),
            UsageBucket::getProviderKeyId,
            batch.getErrorsList(),
            ErrorEvent::getProviderKeyId),
        COUNT_PROVIDER_KEYS,
        MISSING_PROVIDER_KEYS,
        PROVIDER_KEY);

    if (batch.getBucketsCount() > 0) {
      upsertBuckets(connection, pg, batch.getBucketsList());
    }
    if (batch.getErrorsCount() > 0) {
      insertErrors(connection, pg, batch);
    }
    return new Outcome(false, advanced);
  }

  /** The new last sequence, or null when the batch was already applied. */
  private static Long advanceLedger(Connection connection, FlushRequest batch) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(ADVANCE_LEDGER)) {
      statement.setString(1, batch.getDpInstanceId());
      statement.setLong(2, batch.getSequence());
      statement.setLong(3, batch.getErrorsDropped());
      try (ResultSet rows = statement.executeQuery()) {
        return rows.next() ? rows.getLong(1) : null;
      }
    }
  }

  private static long lastSequence(Connection connection, String instance) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(LAST_SEQUENCE)) {
      statement.setString(1, instance);
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
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

  private static void requireExisting(
      Connection connection,
      PGConnection pg,
      long[] ids,
      String countSql,
      String missingSql,
      String what)
      throws SQLException {
    if (ids.length == 0) {
      return;
    }
    try (PreparedStatement statement = connection.prepareStatement(countSql)) {
      statement.setArray(1, pg.createArrayOf("int8", ids));
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        requireAll(connection, pg, rows.getLong(1), ids, missingSql, what);
      }
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

  private static final Comparator<UsageBucket> BUCKET_ORDER =
      Comparator.comparingLong(UsageBucket::getBucketStartUnixS)
          .thenComparingLong(UsageBucket::getKeyId)
          .thenComparingLong(UsageBucket::getProviderKeyId)
          .thenComparing(UsageBucket::getModel);

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
    Counters x = a.getCounters();
    Counters y = b.getCounters();
    return a.toBuilder()
        .setCounters(
            Counters.newBuilder()
                .setRequests(x.getRequests() + y.getRequests())
                .setSuccessRequests(x.getSuccessRequests() + y.getSuccessRequests())
                .setFailureRequests(x.getFailureRequests() + y.getFailureRequests())
                .setPromptTokens(x.getPromptTokens() + y.getPromptTokens())
                .setCompletionTokens(x.getCompletionTokens() + y.getCompletionTokens())
                .setTotalTokens(x.getTotalTokens() + y.getTotalTokens()))
        .setLatencyMsSum(a.getLatencyMsSum() + b.getLatencyMsSum())
        .build();
  }

  private static void upsertBuckets(
      Connection connection, PGConnection pg, List<UsageBucket> unsorted) throws SQLException {
    List<UsageBucket> buckets = sortedDistinct(unsorted);
    try (PreparedStatement statement = connection.prepareStatement(UPSERT_BUCKETS)) {
      statement.setArray(1, longs(pg, buckets, UsageBucket::getBucketStartUnixS));
      statement.setArray(2, longs(pg, buckets, UsageBucket::getKeyId));
      statement.setArray(3, longs(pg, buckets, UsageBucket::getProviderKeyId));
      statement.setArray(
          4, pg.createArrayOf("text", buckets.stream().map(UsageBucket::getModel).toArray()));
      DeltaRows.counters(buckets, UsageBucket::getCounters).bindCounters(statement, pg, 5);
      statement.setArray(11, longs(pg, buckets, UsageBucket::getLatencyMsSum));
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
