package dev.tollgate.controlplane.usage;

import dev.tollgate.controlplane.usage.DeadLetter.Part;
import dev.tollgate.controlplane.usage.DeadLetter.Reason;
import dev.tollgate.controlplane.usage.FlushValidator.CheckedBatch;
import dev.tollgate.proto.usage.v1.CircuitState;
import dev.tollgate.proto.usage.v1.ProviderKeyHealthReport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.postgresql.PGConnection;

/**
 * The provider keys' health a batch reports ({@code FlushRequest.provider_key_health}), kept as the
 * newest report per (provider key, data plane instance) in provider_key_health, in the flush's
 * transaction. Their rules are checked with the rest of the batch ({@link FlushValidator}); a
 * report naming a provider key the database does not have becomes a {@link DeadLetter}.
 *
 * <p>Unlike the counters these are snapshots: a report replaces the previous one of the same data
 * plane, and of two reports of one key in a batch the later one counts. No guard on time is needed,
 * because one instance's batches are applied in sequence order, each once (the ledger row, locked
 * first, serialises them).
 */
final class ProviderKeyHealthReports {

  /** The wire states and the words provider_key_health.circuit_state holds. */
  static final Map<CircuitState, String> STATES =
      Map.of(
          CircuitState.CIRCUIT_STATE_CLOSED, "closed",
          CircuitState.CIRCUIT_STATE_OPEN, "open",
          CircuitState.CIRCUIT_STATE_HALF_OPEN, "half_open");

  // Rows in provider key order; a report naming no provider key is left out here (and
  // dead-lettered by the caller), so the foreign key never fails the statement.
  private static final String UPSERT =
      """
      INSERT INTO provider_key_health AS h (provider_key_id, dp_instance_id, circuit_state,
             cooldown_until, consecutive_failures, observed_at)
      SELECT u.pk, ?, u.state, to_timestamp(NULLIF(u.cooldown, 0) / 1000.0), u.failures,
             to_timestamp(u.observed / 1000.0)
        FROM unnest(?::int8[], ?::text[], ?::int8[], ?::int4[], ?::int8[])
             AS u(pk, state, cooldown, failures, observed)
       WHERE EXISTS (SELECT 1 FROM provider_key p WHERE p.id = u.pk)
       ORDER BY u.pk
      ON CONFLICT (provider_key_id, dp_instance_id) DO UPDATE
         SET circuit_state = EXCLUDED.circuit_state,
             cooldown_until = EXCLUDED.cooldown_until,
             consecutive_failures = EXCLUDED.consecutive_failures,
             observed_at = EXCLUDED.observed_at
      RETURNING provider_key_id
      """;

  private ProviderKeyHealthReports() {}

  /**
   * Keeps the valid reports of {@code checked}; those naming an unknown provider key are added to
   * {@code deadLetters}. The caller's transaction commits them with the rest.
   */
  static void write(
      Connection connection, PGConnection pg, CheckedBatch checked, List<DeadLetter> deadLetters)
      throws SQLException {
    List<ProviderKeyHealthReport> reports = checked.valid.getProviderKeyHealthList();
    if (reports.isEmpty()) {
      return;
    }
    TreeMap<Long, ProviderKeyHealthReport> latest = new TreeMap<>();
    for (ProviderKeyHealthReport report : reports) {
      latest.put(report.getProviderKeyId(), report);
    }
    int n = latest.size();
    long[] ids = new long[n];
    String[] states = new String[n];
    long[] cooldowns = new long[n];
    int[] failures = new int[n];
    long[] observed = new long[n];
    int i = 0;
    for (ProviderKeyHealthReport report : latest.values()) {
      ids[i] = report.getProviderKeyId();
      states[i] = STATES.get(report.getCircuitState());
      cooldowns[i] = report.getCooldownUntilUnixMs();
      failures[i] = report.getConsecutiveFailures();
      observed[i] = report.getObservedAtUnixMs();
      i++;
    }
    Set<Long> kept = new HashSet<>();
    try (PreparedStatement statement = connection.prepareStatement(UPSERT)) {
      statement.setString(1, checked.valid.getDpInstanceId());
      statement.setArray(2, pg.createArrayOf("int8", ids));
      statement.setArray(3, pg.createArrayOf("text", states));
      statement.setArray(4, pg.createArrayOf("int8", cooldowns));
      statement.setArray(5, pg.createArrayOf("int4", failures));
      statement.setArray(6, pg.createArrayOf("int8", observed));
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          kept.add(rows.getLong(1));
        }
      }
    }
    if (kept.size() == n) {
      return;
    }
    List<DeadLetter> unknown = new ArrayList<>();
    for (int j = 0; j < reports.size(); j++) {
      ProviderKeyHealthReport report = reports.get(j);
      if (!kept.contains(report.getProviderKeyId())) {
        unknown.add(
            new DeadLetter(
                Part.PROVIDER_KEY_HEALTH,
                checked.origin(Part.PROVIDER_KEY_HEALTH, j),
                Reason.UNKNOWN_PROVIDER_KEY,
                "provider_key_health["
                    + checked.origin(Part.PROVIDER_KEY_HEALTH, j)
                    + "].provider_key_id "
                    + report.getProviderKeyId()
                    + " is not a provider key of this control plane",
                report));
      }
    }
    deadLetters.addAll(unknown);
  }
}
