package dev.tollgate.controlplane.usage;

import dev.tollgate.proto.usage.v1.ConcurrencyAdjustment;
import dev.tollgate.proto.usage.v1.ProviderKeyDelta;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.postgresql.PGConnection;

/**
 * Provider-key deltas as bound arrays, one entry per id: the counters ({@link DeltaRows}) plus what
 * only provider keys carry. Provider keys named only by a concurrency adjustment get a row of zero
 * counters, so one id-ordered UPDATE both checks that every id exists and sets the learned limit: a
 * second pass over provider_key would lock its rows out of order.
 *
 * <p>Repeated ids are merged: counts summed, the newest 429 (with its kind), last use and
 * adjustment win.
 */
final class ProviderDeltaRows {

  /**
   * The counter columns only provider keys (and their groups) carry, after those of {@link
   * UsageCounter}, in the order {@link #bind} binds them.
   */
  static final String[] EXTRA_COUNTERS = {
    "latency_ms_sum", "upstream_429_rpm", "upstream_429_concurrency", "upstream_429_unknown"
  };

  final DeltaRows counters;
  final long[] latencyMsSum;
  final long[] upstream429Rpm;
  final long[] upstream429Concurrency;
  final long[] upstream429Unknown;
  final long[] last429AtMs;
  final String[] last429Kind;

  /** new_limit of the newest adjustment of the key in the batch, 0 when it has none. */
  final long[] learnedLimit;

  /** at_unix_ms of that adjustment, 0 when none. */
  final long[] learnedAtMs;

  private ProviderDeltaRows(DeltaRows counters) {
    this.counters = counters;
    int n = counters.ids.length;
    latencyMsSum = new long[n];
    upstream429Rpm = new long[n];
    upstream429Concurrency = new long[n];
    upstream429Unknown = new long[n];
    last429AtMs = new long[n];
    last429Kind = new String[n];
    learnedLimit = new long[n];
    learnedAtMs = new long[n];
  }

  static ProviderDeltaRows of(
      List<ProviderKeyDelta> deltas, List<ConcurrencyAdjustment> adjustments) {
    List<ProviderKeyDelta> all = new ArrayList<>(deltas);
    for (ConcurrencyAdjustment adjustment : adjustments) {
      all.add(
          ProviderKeyDelta.newBuilder().setProviderKeyId(adjustment.getProviderKeyId()).build());
    }
    ProviderDeltaRows rows =
        new ProviderDeltaRows(
            DeltaRows.of(
                all,
                ProviderKeyDelta::getProviderKeyId,
                ProviderKeyDelta::getCounters,
                ProviderKeyDelta::getLastUsedAtUnixMs));
    for (ProviderKeyDelta delta : deltas) {
      int i = rows.slot(delta.getProviderKeyId());
      rows.latencyMsSum[i] += delta.getLatencyMsSum();
      rows.upstream429Rpm[i] += delta.getUpstream429Rpm();
      rows.upstream429Concurrency[i] += delta.getUpstream429Concurrency();
      rows.upstream429Unknown[i] += delta.getUpstream429Unknown();
      if (delta.getLast429AtUnixMs() > rows.last429AtMs[i]) {
        rows.last429AtMs[i] = delta.getLast429AtUnixMs();
        rows.last429Kind[i] = FlushValidator.Kinds.of429(delta.getLast429Kind());
      }
    }
    for (ConcurrencyAdjustment adjustment : adjustments) {
      int i = rows.slot(adjustment.getProviderKeyId());
      // ">=": of two adjustments at the same millisecond the later one in the batch wins, as the
      // contract lists them in the order they happened.
      if (adjustment.getAtUnixMs() >= rows.learnedAtMs[i]) {
        rows.learnedAtMs[i] = adjustment.getAtUnixMs();
        rows.learnedLimit[i] = adjustment.getNewLimit();
      }
    }
    return rows;
  }

  long[] ids() {
    return counters.ids;
  }

  private int slot(long id) {
    return Arrays.binarySearch(counters.ids, id);
  }

  /**
   * Binds, from parameter {@code first}: ids, the counters, then {@link #EXTRA_COUNTERS}; with
   * {@code withState} also the last 429 (ms, kind), last use and learned limit (limit, ms). Returns
   * the next index.
   */
  int bind(PreparedStatement statement, PGConnection pg, int first, boolean withState)
      throws SQLException {
    int next = counters.bind(statement, pg, first);
    // In EXTRA_COUNTERS order.
    long[][] columns = {latencyMsSum, upstream429Rpm, upstream429Concurrency, upstream429Unknown};
    for (long[] column : columns) {
      statement.setArray(next++, pg.createArrayOf("int8", column));
    }
    if (withState) {
      statement.setArray(next++, pg.createArrayOf("int8", last429AtMs));
      statement.setArray(next++, pg.createArrayOf("text", last429Kind));
      // DeltaRows keeps the newest of the ids' last_used_at_unix_ms as its "last access".
      statement.setArray(next++, pg.createArrayOf("int8", counters.lastAccess));
      statement.setArray(next++, pg.createArrayOf("int8", learnedLimit));
      statement.setArray(next++, pg.createArrayOf("int8", learnedAtMs));
    }
    return next;
  }
}
