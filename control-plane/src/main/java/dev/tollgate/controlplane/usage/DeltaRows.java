package dev.tollgate.controlplane.usage;

import dev.tollgate.proto.usage.v1.Counters;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.stream.IntStream;
import org.postgresql.PGConnection;

/**
 * Deltas as the column arrays {@link FlushRepository} binds, one entry per id: repeated ids are
 * summed here (keeping the latest access time), because an {@code UPDATE … FROM} joined to two rows
 * for one id would apply only one of them. Data planes send each id once, so the summing path is
 * the rare one; detecting it costs a sort of the ids.
 */
final class DeltaRows {

  final long[] ids;
  final long[] requests;
  final long[] success;
  final long[] failure;
  final long[] prompt;
  final long[] completion;
  final long[] total;
  final long[] rateLimited;
  final long[] estimated;
  final long[] lastAccess;

  private DeltaRows(int n) {
    ids = new long[n];
    requests = new long[n];
    success = new long[n];
    failure = new long[n];
    prompt = new long[n];
    completion = new long[n];
    total = new long[n];
    rateLimited = new long[n];
    estimated = new long[n];
    lastAccess = new long[n];
  }

  static <T> DeltaRows of(
      List<T> deltas,
      ToLongFunction<T> id,
      Function<T, Counters> counters,
      ToLongFunction<T> lastAccess) {
    int n = deltas.size();
    long[] keys = new long[n];
    for (int i = 0; i < n; i++) {
      keys[i] = id.applyAsLong(deltas.get(i));
    }
    // Rows go to PostgreSQL in id order: the index lookups of the UPDATE then walk the table's
    // pages in order instead of at random, and repeated ids end up next to each other.
    int[] order =
        IntStream.range(0, n)
            .boxed()
            .sorted(Comparator.comparingLong(i -> keys[i]))
            .mapToInt(i -> i)
            .toArray();
    int distinct = 0;
    for (int i = 0; i < n; i++) {
      if (i == 0 || keys[order[i]] != keys[order[i - 1]]) {
        distinct++;
      }
    }
    DeltaRows rows = new DeltaRows(distinct);
    int slot = -1;
    for (int i = 0; i < n; i++) {
      T delta = deltas.get(order[i]);
      if (i == 0 || keys[order[i]] != keys[order[i - 1]]) {
        slot++;
        rows.ids[slot] = keys[order[i]];
      }
      rows.add(slot, counters.apply(delta));
      rows.lastAccess[slot] = Math.max(rows.lastAccess[slot], lastAccess.applyAsLong(delta));
    }
    return rows;
  }

  /** Counter columns only, one entry per row as given (no id merging). */
  static <T> DeltaRows counters(List<T> rows, Function<T, Counters> counters) {
    DeltaRows result = new DeltaRows(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      result.add(i, counters.apply(rows.get(i)));
    }
    return result;
  }

  private void add(int slot, Counters c) {
    requests[slot] += c.getRequests();
    success[slot] += c.getSuccessRequests();
    failure[slot] += c.getFailureRequests();
    prompt[slot] += c.getPromptTokens();
    completion[slot] += c.getCompletionTokens();
    total[slot] += c.getTotalTokens();
    rateLimited[slot] += c.getRateLimitedRequests();
    estimated[slot] += c.getEstimatedRequests();
  }

  /** The sum of every row's value of each of the eight counters, in {@link #bindCounters} order. */
  /** Ids whose total tokens grew in this batch: the ones whose quota_used moves. */
  long[] idsWithTokens() {
    int n = 0;
    for (long t : total) {
      if (t > 0) {
        n++;
      }
    }
    long[] ids = new long[n];
    for (int i = 0, j = 0; i < this.ids.length; i++) {
      if (total[i] > 0) {
        ids[j++] = this.ids[i];
      }
    }
    return ids;
  }

  long[] sums() {
    long[][] columns = columns();
    long[] sums = new long[columns.length];
    for (int c = 0; c < columns.length; c++) {
      for (long value : columns[c]) {
        sums[c] += value;
      }
    }
    return sums;
  }

  private long[][] columns() {
    return new long[][] {
      requests, success, failure, prompt, completion, total, rateLimited, estimated
    };
  }

  /** Binds ids then the eight counters from parameter {@code first}; returns the next index. */
  int bind(PreparedStatement statement, PGConnection pg, int first) throws SQLException {
    statement.setArray(first, pg.createArrayOf("int8", ids));
    return bindCounters(statement, pg, first + 1);
  }

  /**
   * Binds the eight counter columns from parameter {@code first} (requests, success, failure,
   * prompt, completion, total, rate-limited, estimated); returns the next index.
   */
  int bindCounters(PreparedStatement statement, PGConnection pg, int first) throws SQLException {
    long[][] columns = columns();
    for (int i = 0; i < columns.length; i++) {
      statement.setArray(first + i, pg.createArrayOf("int8", columns[i]));
    }
    return first + columns.length;
  }
}
