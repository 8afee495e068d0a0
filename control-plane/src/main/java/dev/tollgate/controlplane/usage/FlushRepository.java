package dev.tollgate.controlplane.usage;

import dev.tollgate.controlplane.usage.DeadLetter.Part;
import dev.tollgate.controlplane.usage.DeadLetter.Reason;
import dev.tollgate.controlplane.usage.FlushValidator.CheckedBatch;
import dev.tollgate.proto.usage.v1.ConcurrencyAdjustment;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * provider_key_health, the usage tiers of {@link UsageTiers}, api_key_usage_totals) and, within a
 * table, in ascending key order, so two concurrent flushes never wait on each other in a cycle. An
 * {@code UPDATE … FROM} locks rows in the order its join produces them: the arrays are therefore
 * bound sorted by id ({@link DeltaRows}) and hash joins are turned off for the transaction, so the
 * join is a nested loop (or a merge join) driven by the sorted arrays, which PostgreSQL emits in
 * their order. That costs nothing and saves a separate {@code SELECT … FOR UPDATE} pass over every
 * row; where the order cannot come from the input (the groups, rolled up through an aggregate) an
 * explicit ordered lock is taken. A deadlock that still happens, against some other writer, is
 * retried by {@link UsageFlushService}.
 *
 * <p>Items naming a key or provider key the database does not have are not applied: the UPDATEs
 * return the ids they found, a lookup finds the others, and the items naming a missing id become
 * {@link DeadLetter}s, written in the same transaction as the rest ({@link DeadLetters}). Keys and
 * provider keys are never deleted (only marked deleted), so an id found here stays there until the
 * commit.
 */
public final class FlushRepository {

  /**
   * What applying a batch did.
   *
   * @param deadLetters the parts kept in flush_dead_letter instead of applied (none for a
   *     duplicate)
   */
  public record Outcome(boolean duplicate, long appliedSequence, List<DeadLetter> deadLetters) {}

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
  // joined to the same id. The ids it returns are the ones that exist.
  private static final String UPDATE_KEYS =
      """
      UPDATE api_key k
         SET %s,
             quota_used = k.quota_used + d.total_tokens,
             last_accessed_at = GREATEST(k.last_accessed_at,
                                         to_timestamp(NULLIF(d.last_access_ms, 0)::float8 / 1000))
        FROM unnest(%s) AS d(id, %s, last_access_ms)
       WHERE k.id = d.id
      RETURNING k.id, k.user_id
      """
          .formatted(
              UsageCounter.join("%1$s = k.%1$s + d.%1$s", ",\n             "),
              DeltaRows.arrays(UsageCounter.ALL.size() + 2),
              UsageCounter.join("%1$s", ", "));

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

  private static final int PROVIDER_COLUMNS =
      1 + UsageCounter.ALL.size() + ProviderDeltaRows.EXTRA_COUNTERS.length;

  private static final String PROVIDER_COLUMN_NAMES =
      "id, " + UsageCounter.join("%1$s", ", ", ProviderDeltaRows.EXTRA_COUNTERS);

  private static final String PROVIDER_DELTAS =
      "SELECT * FROM unnest(%s, ?::int8[], ?::text[], ?::int8[], ?::int8[], ?::int8[]) AS u(%s,"
              .formatted(DeltaRows.arrays(PROVIDER_COLUMNS), PROVIDER_COLUMN_NAMES)
          + " last_429_ms, last_429_kind, last_used_ms, learned_limit, learned_ms)";

  private static final String PROVIDER_COUNTERS_ONLY =
      "SELECT * FROM unnest(%s) AS u(%s)"
          .formatted(DeltaRows.arrays(PROVIDER_COLUMNS), PROVIDER_COLUMN_NAMES);

  /** {@code SET} of every provider counter of the row aliased {@code table}, plus d's delta. */
  private static String addProviderCounters(String table) {
    return "   SET "
        + UsageCounter.join(
            "%1$s = " + table + ".%1$s + d.%1$s",
            ",\n             ",
            ProviderDeltaRows.EXTRA_COUNTERS);
  }

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
          .formatted(addProviderCounters("k"), PROVIDER_DELTAS);

  // A group's totals are the sum of its provider keys' deltas, rolled up in the same transaction.
  private static final String UPDATE_GROUPS =
      """
      UPDATE provider_group g
      %s
        FROM (SELECT pk.group_id AS id,
                     %s
                FROM (%s) d JOIN provider_key pk ON pk.id = d.id
               GROUP BY pk.group_id) d
       WHERE g.id = d.id
      """
          .formatted(
              addProviderCounters("g"),
              UsageCounter.join(
                  "sum(d.%1$s)::bigint AS %1$s",
                  ",\n                     ", ProviderDeltaRows.EXTRA_COUNTERS),
              PROVIDER_COUNTERS_ONLY);

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
  // quota_used grows by total tokens, as in UPDATE_KEYS.
  private static final String ADD_KEY_TOTALS =
      "UPDATE api_key_usage_totals SET quota_used = quota_used + ?, "
          + UsageCounter.join("%1$s = %1$s + ?", ", ")
          + " WHERE id = 1";

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
   * Checks {@code batch} ({@link FlushValidator}) and applies it on {@code connection}, which must
   * have auto-commit off; the caller commits, or rolls back on any exception.
   *
   * @throws InvalidFlushException when the batch's envelope is invalid (nothing is applied)
   */
  public Outcome apply(Connection connection, FlushRequest batch) throws SQLException {
    return apply(connection, FlushValidator.check(batch));
  }

  /**
   * Applies the valid part of a checked batch and dead-letters the rest, on {@code connection}
   * (auto-commit off; the caller commits, or rolls back on any exception).
   */
  Outcome apply(Connection connection, CheckedBatch checked) throws SQLException {
    FlushRequest batch = checked.valid;
    Long advanced = advanceLedger(connection, batch);
    if (advanced == null) {
      return new Outcome(true, lastSequence(connection, batch.getDpInstanceId()), List.of());
    }
    PGConnection pg = connection.unwrap(PGConnection.class);
    try (Statement statement = connection.createStatement()) {
      statement.execute(JOIN_IN_INPUT_ORDER);
      if (batch.getBucketsCount() > 0) {
        statement.execute(AGGREGATE_IN_MEMORY);
      }
    }
    List<DeadLetter> deadLetters = new ArrayList<>(checked.deadLetters);

    DeltaRows keys =
        DeltaRows.of(
            batch.getKeyDeltasList(),
            KeyDelta::getKeyId,
            KeyDelta::getCounters,
            KeyDelta::getLastAccessedAtUnixMs);
    Map<Long, Long> keyOwners = new HashMap<>();
    if (keys.ids.length > 0) {
      try (PreparedStatement statement = connection.prepareStatement(UPDATE_KEYS)) {
        int next = keys.bind(statement, pg, 1);
        statement.setArray(next, pg.createArrayOf("int8", keys.lastAccess));
        collect(statement, keyOwners);
      }
      long[] withTokens = keys.idsWithTokens();
      if (withTokens.length > 0) {
        try (PreparedStatement statement = connection.prepareStatement(RESTAMP_QUOTA_KEYS)) {
          statement.setArray(1, pg.createArrayOf("int8", withTokens));
          statement.executeUpdate();
        }
      }
    }
    Set<Long> unknownKeys = missing(keys.ids, keyOwners);
    long[] otherKeys =
        others(
            keys.ids,
            batch.getBucketsList(),
            UsageBucket::getKeyId,
            batch.getErrorsList(),
            ErrorEvent::getKeyId);
    lookUp(connection, pg, otherKeys, KEY_OWNERS, keyOwners);
    unknownKeys.addAll(missing(otherKeys, keyOwners));

    ProviderDeltaRows providers =
        ProviderDeltaRows.of(batch.getProviderKeyDeltasList(), batch.getAdjustmentsList());
    Map<Long, Long> providerGroups = new HashMap<>();
    if (providers.ids().length > 0) {
      try (PreparedStatement statement = connection.prepareStatement(UPDATE_PROVIDER_KEYS)) {
        providers.bind(statement, pg, 1, true);
        collect(statement, providerGroups);
      }
      try (PreparedStatement lock = connection.prepareStatement(LOCK_GROUPS)) {
        lock.setArray(1, pg.createArrayOf("int8", providers.ids()));
        lock.executeQuery().close();
      }
      // Rows of ids that do not exist join no provider_key and roll up to no group.
      try (PreparedStatement statement = connection.prepareStatement(UPDATE_GROUPS)) {
        providers.bind(statement, pg, 1, false);
        statement.executeUpdate();
      }
    }
    Set<Long> unknownProviderKeys = missing(providers.ids(), providerGroups);
    long[] otherProviderKeys =
        others(
            providers.ids(),
            batch.getBucketsList(),
            UsageBucket::getProviderKeyId,
            batch.getErrorsList(),
            ErrorEvent::getProviderKeyId);
    lookUp(connection, pg, otherProviderKeys, PROVIDER_KEY_GROUPS, providerGroups);
    unknownProviderKeys.addAll(missing(otherProviderKeys, providerGroups));

    Unknown unknown = new Unknown(checked, unknownKeys, unknownProviderKeys, deadLetters);
    unknown.keyDeltas(batch.getKeyDeltasList());
    unknown.providerKeyDeltas(batch.getProviderKeyDeltasList());
    List<ConcurrencyAdjustment> adjustments = unknown.adjustments(batch.getAdjustmentsList());
    List<UsageBucket> buckets = unknown.buckets(batch.getBucketsList());
    List<ErrorEvent> errors = unknown.errors(batch.getErrorsList());
    ProviderKeyHealthReports.write(connection, pg, checked, deadLetters);

    if (!adjustments.isEmpty()) {
      insertAdjustments(connection, pg, batch.getDpInstanceId(), adjustments);
    }
    if (!buckets.isEmpty()) {
      UsageTiers.write(connection, pg, buckets, keyOwners, providerGroups);
    }
    if (!errors.isEmpty()) {
      insertErrors(connection, pg, batch.getDpInstanceId(), errors);
    }
    if (keys.ids.length > unknownKeys.size()) {
      addKeyTotals(connection, keys.sums(unknownKeys));
    }
    DeadLetters.insert(connection, pg, batch, deadLetters);
    return new Outcome(false, advanced, List.copyOf(deadLetters));
  }

  /**
   * Records {@code batch} as applied without applying any of it: every part becomes a dead letter
   * with {@code reason}. For a batch whose valid part the database refused for a reason retrying
   * cannot cure, so that it does not block the batches after it.
   */
  Outcome deadLetterAll(Connection connection, FlushRequest batch, String detail)
      throws SQLException {
    FlushRequest envelope =
        FlushRequest.newBuilder()
            .setDpInstanceId(batch.getDpInstanceId())
            .setSequence(batch.getSequence())
            .build();
    Long advanced = advanceLedger(connection, envelope);
    if (advanced == null) {
      return new Outcome(true, lastSequence(connection, batch.getDpInstanceId()), List.of());
    }
    List<DeadLetter> all = new ArrayList<>();
    all(all, Part.KEY_DELTA, batch.getKeyDeltasList(), detail);
    all(all, Part.PROVIDER_KEY_DELTA, batch.getProviderKeyDeltasList(), detail);
    all(all, Part.ADJUSTMENT, batch.getAdjustmentsList(), detail);
    all(all, Part.BUCKET, batch.getBucketsList(), detail);
    all(all, Part.ERROR, batch.getErrorsList(), detail);
    all(all, Part.PROVIDER_KEY_HEALTH, batch.getProviderKeyHealthList(), detail);
    if (batch.getErrorsDropped() != 0) {
      all.add(
          new DeadLetter(
              Part.ERRORS_DROPPED,
              0,
              Reason.APPLY_FAILED,
              detail,
              FlushRequest.newBuilder().setErrorsDropped(batch.getErrorsDropped()).build()));
    }
    DeadLetters.insert(connection, connection.unwrap(PGConnection.class), envelope, all);
    return new Outcome(false, advanced, List.copyOf(all));
  }

  private static void all(
      List<DeadLetter> into,
      Part part,
      List<? extends com.google.protobuf.Message> items,
      String detail) {
    for (int i = 0; i < items.size(); i++) {
      into.add(new DeadLetter(part, i, Reason.APPLY_FAILED, detail, items.get(i)));
    }
  }

  /**
   * Sorts the items naming an unknown id out of the batch into dead letters, keeping the others in
   * their order.
   */
  private static final class Unknown {
    private final CheckedBatch checked;
    private final Set<Long> keys;
    private final Set<Long> providerKeys;
    private final List<DeadLetter> deadLetters;

    Unknown(
        CheckedBatch checked,
        Set<Long> keys,
        Set<Long> providerKeys,
        List<DeadLetter> deadLetters) {
      this.checked = checked;
      this.keys = keys;
      this.providerKeys = providerKeys;
      this.deadLetters = deadLetters;
    }

    void keyDeltas(List<KeyDelta> deltas) {
      filter(Part.KEY_DELTA, "key_deltas", deltas, KeyDelta::getKeyId, d -> 0L);
    }

    void providerKeyDeltas(List<ProviderKeyDelta> deltas) {
      filter(
          Part.PROVIDER_KEY_DELTA,
          "provider_key_deltas",
          deltas,
          d -> 0L,
          ProviderKeyDelta::getProviderKeyId);
    }

    List<ConcurrencyAdjustment> adjustments(List<ConcurrencyAdjustment> adjustments) {
      return filter(
          Part.ADJUSTMENT,
          "adjustments",
          adjustments,
          a -> 0L,
          ConcurrencyAdjustment::getProviderKeyId);
    }

    List<UsageBucket> buckets(List<UsageBucket> buckets) {
      return filter(
          Part.BUCKET, "buckets", buckets, UsageBucket::getKeyId, UsageBucket::getProviderKeyId);
    }

    List<ErrorEvent> errors(List<ErrorEvent> errors) {
      return filter(
          Part.ERROR, "errors", errors, ErrorEvent::getKeyId, ErrorEvent::getProviderKeyId);
    }

    /** {@code items} without those naming an unknown id (0 = none named). */
    private <T extends com.google.protobuf.Message> List<T> filter(
        Part part,
        String list,
        List<T> items,
        ToLongFunction<T> keyId,
        ToLongFunction<T> providerKeyId) {
      if (keys.isEmpty() && providerKeys.isEmpty()) {
        return items;
      }
      List<T> known = new ArrayList<>(items.size());
      for (int i = 0; i < items.size(); i++) {
        T item = items.get(i);
        long key = keyId.applyAsLong(item);
        long providerKey = providerKeyId.applyAsLong(item);
        int origin = checked.origin(part, i);
        if (key != 0 && keys.contains(key)) {
          deadLetters.add(
              new DeadLetter(
                  part,
                  origin,
                  Reason.UNKNOWN_KEY,
                  list
                      + "["
                      + origin
                      + "].key_id "
                      + key
                      + " is not an api key of this control plane",
                  item));
        } else if (providerKey != 0 && providerKeys.contains(providerKey)) {
          deadLetters.add(
              new DeadLetter(
                  part,
                  origin,
                  Reason.UNKNOWN_PROVIDER_KEY,
                  list
                      + "["
                      + origin
                      + "].provider_key_id "
                      + providerKey
                      + " is not a provider key of this control plane",
                  item));
        } else {
          known.add(item);
        }
      }
      return known;
    }
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

  /** Runs a statement answering (id, owner) rows into {@code into}. */
  private static void collect(PreparedStatement statement, Map<Long, Long> into)
      throws SQLException {
    try (ResultSet rows = statement.executeQuery()) {
      while (rows.next()) {
        into.put(rows.getLong(1), rows.getLong(2));
      }
    }
  }

  /** The ids of {@code ids} that {@code found} has no entry for. */
  private static Set<Long> missing(long[] ids, Map<Long, Long> found) {
    Set<Long> missing = new HashSet<>();
    for (long id : ids) {
      if (!found.containsKey(id)) {
        missing.add(id);
      }
    }
    return missing;
  }

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

  /** Reads (id, owner) of those of {@code ids} that exist into {@code into}. */
  private static void lookUp(
      Connection connection, PGConnection pg, long[] ids, String lookupSql, Map<Long, Long> into)
      throws SQLException {
    if (ids.length == 0) {
      return;
    }
    try (PreparedStatement statement = connection.prepareStatement(lookupSql)) {
      statement.setArray(1, pg.createArrayOf("int8", ids));
      collect(statement, into);
    }
  }

  private static void insertAdjustments(
      Connection connection,
      PGConnection pg,
      String instance,
      List<ConcurrencyAdjustment> adjustments)
      throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(INSERT_ADJUSTMENTS)) {
      statement.setString(1, instance);
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
              "text",
              adjustments.stream()
                  .map(a -> FlushValidator.Kinds.ofAdjustment(a.getReason()))
                  .toArray()));
      statement.setArray(
          7,
          pg.createArrayOf(
              "float8", adjustments.stream().map(ConcurrencyAdjustment::getUtilisation).toArray()));
      statement.executeUpdate();
    }
  }

  private static void addKeyTotals(Connection connection, long[] sums) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(ADD_KEY_TOTALS)) {
      statement.setLong(1, sums[UsageCounter.TOTAL_TOKENS.ordinal()]);
      for (int i = 0; i < sums.length; i++) {
        statement.setLong(i + 2, sums[i]);
      }
      statement.executeUpdate();
    }
  }

  private static void insertErrors(
      Connection connection, PGConnection pg, String instance, List<ErrorEvent> errors)
      throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(INSERT_ERRORS)) {
      statement.setString(1, instance);
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
