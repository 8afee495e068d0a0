package dev.tollgate.controlplane.usage;

import dev.tollgate.proto.usage.v1.Counters;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.stream.IntStream;
import org.postgresql.PGConnection;

/**
 * Deltas as the column arrays {@link FlushRepository} binds, one entry per id: repeated ids are
 * summed here (keeping the latest access time), because an {@code UPDATE … FROM} joined to two rows
 * for one id would apply only one of them. Data planes send each id once, so the summing path is
 * the rare one; detecting it costs a sort of the ids.
 *
 * <p>The counter columns are those of {@link UsageCounter}, in its order.
 */
final class DeltaRows {

  final long[] ids;
  final long[] lastAccess;

  /** counters[c.ordinal()][row] for every {@link UsageCounter} c. */
  private final long[][] counters;

  private DeltaRows(int n) {
    ids = new long[n];
    lastAccess = new long[n];
    counters = new long[UsageCounter.ALL.size()][n];
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
    for (UsageCounter counter : UsageCounter.ALL) {
      counters[counter.ordinal()][slot] += counter.of(c);
    }
  }

  long value(UsageCounter counter, int slot) {
    return counters[counter.ordinal()][slot];
  }

  /** Ids whose total tokens grew in this batch: the ones whose quota_used moves. */
  long[] idsWithTokens() {
    return IntStream.range(0, ids.length)
        .filter(i -> value(UsageCounter.TOTAL_TOKENS, i) > 0)
        .mapToLong(i -> ids[i])
        .toArray();
  }

  /**
   * The sum over the rows whose id is not in {@code excluded} of each counter, in {@link
   * UsageCounter} order.
   */
  long[] sums(Set<Long> excluded) {
    long[] sums = new long[counters.length];
    for (int row = 0; row < ids.length; row++) {
      if (excluded.contains(ids[row])) {
        continue;
      }
      for (int c = 0; c < counters.length; c++) {
        sums[c] += counters[c][row];
      }
    }
    return sums;
  }

  /** Binds ids then the counters from parameter {@code first}; returns the next index. */
  int bind(PreparedStatement statement, PGConnection pg, int first) throws SQLException {
    statement.setArray(first, pg.createArrayOf("int8", ids));
    return bindCounters(statement, pg, first + 1);
  }

  /**
   * Binds the counter columns, in {@link UsageCounter} order, from parameter {@code first}; returns
   * the next index.
   */
  int bindCounters(PreparedStatement statement, PGConnection pg, int first) throws SQLException {
    for (int i = 0; i < counters.length; i++) {
      statement.setArray(first + i, pg.createArrayOf("int8", counters[i]));
    }
    return first + counters.length;
  }

  /** {@code n} int8[] parameters, for the arrays an unnest binds. */
  static String arrays(int n) {
    return String.join(", ", java.util.Collections.nCopies(n, "?::int8[]"));
  }
}
