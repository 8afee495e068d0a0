package dev.tollgate.controlplane.usage;

import dev.tollgate.proto.usage.v1.Counters;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToLongFunction;
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
  final long[] lastAccess;

  private DeltaRows(int n) {
    ids = new long[n];
    requests = new long[n];
    success = new long[n];
    failure = new long[n];
    prompt = new long[n];
    completion = new long[n];
    total = new long[n];
    lastAccess = new long[n];
  }

  static <T> DeltaRows of(
      List<T> deltas,
      ToLongFunction<T> id,
      Function<T, Counters> counters,
      ToLongFunction<T> lastAccess) {
    int n = deltas.size();
    long[] sorted = new long[n];
    for (int i = 0; i < n; i++) {
      sorted[i] = id.applyAsLong(deltas.get(i));
    }
    Arrays.sort(sorted);
    int distinct = n == 0 ? 0 : 1;
    for (int i = 1; i < n; i++) {
      if (sorted[i] != sorted[i - 1]) {
        distinct++;
      }
    }
    DeltaRows rows = new DeltaRows(distinct);
    Map<Long, Integer> slots = distinct == n ? null : new HashMap<>(distinct * 2);
    int used = 0;
    for (T delta : deltas) {
      long key = id.applyAsLong(delta);
      int slot;
      if (slots == null) {
        slot = used++;
      } else {
        Integer seen = slots.putIfAbsent(key, used);
        slot = seen == null ? used++ : seen;
      }
      rows.ids[slot] = key;
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
  }

  /** Binds ids then the six counters from parameter {@code first}; returns the next index. */
  int bind(PreparedStatement statement, PGConnection pg, int first) throws SQLException {
    statement.setArray(first, pg.createArrayOf("int8", ids));
    return bindCounters(statement, pg, first + 1);
  }

  /** Binds the six counter columns from parameter {@code first}; returns the next index. */
  int bindCounters(PreparedStatement statement, PGConnection pg, int first) throws SQLException {
    long[][] columns = {requests, success, failure, prompt, completion, total};
    for (int i = 0; i < columns.length; i++) {
      statement.setArray(first + i, pg.createArrayOf("int8", columns[i]));
    }
    return first + columns.length;
  }
}
