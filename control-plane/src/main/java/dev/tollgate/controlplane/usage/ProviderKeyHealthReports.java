package dev.tollgate.controlplane.usage;

import dev.tollgate.proto.usage.v1.CircuitState;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.ProviderKeyHealthReport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.postgresql.PGConnection;

/**
 * The provider keys' health a batch reports ({@code FlushRequest.provider_key_health}): checked
 * with the rest of the batch, then kept as the newest report per (provider key, data plane
 * instance) in provider_key_health, in the flush's transaction.
 *
 * <p>Unlike the counters these are snapshots: a report replaces the previous one of the same data
 * plane. No guard on time is needed, because one instance's batches are applied in sequence order,
 * each once (the ledger row, locked first, serialises them).
 */
final class ProviderKeyHealthReports {

  /** The wire states and the words provider_key_health.circuit_state holds. */
  static final Map<CircuitState, String> STATES =
      Map.of(
          CircuitState.CIRCUIT_STATE_CLOSED, "closed",
          CircuitState.CIRCUIT_STATE_OPEN, "open",
          CircuitState.CIRCUIT_STATE_HALF_OPEN, "half_open");

  // Rows in provider key order; a report naming no provider key is left out here and refused
  // below, so the foreign key never fails the statement.
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
      """;

  private static final String MISSING =
      "SELECT x FROM unnest(?::int8[]) x"
          + " WHERE NOT EXISTS (SELECT 1 FROM provider_key WHERE id = x) ORDER BY x LIMIT 5";

  private ProviderKeyHealthReports() {}

  /**
   * @throws InvalidFlushException naming the first bad report
   */
  static void validate(FlushRequest batch) {
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < batch.getProviderKeyHealthCount(); i++) {
      ProviderKeyHealthReport report = batch.getProviderKeyHealth(i);
      String where = "provider_key_health[" + i + "]";
      if (report.getProviderKeyId() <= 0) {
        throw new InvalidFlushException(
            where + ".provider_key_id must be a positive id, was " + report.getProviderKeyId());
      }
      if (!seen.add(report.getProviderKeyId())) {
        throw new InvalidFlushException(
            where + ".provider_key_id " + report.getProviderKeyId() + " is reported twice");
      }
      if (!STATES.containsKey(report.getCircuitState())) {
        throw new InvalidFlushException(
            where
                + ".circuit_state must be CLOSED, OPEN or HALF_OPEN, was "
                + report.getCircuitStateValue());
      }
      if (report.getCooldownUntilUnixMs() < 0) {
        throw new InvalidFlushException(
            where
                + ".cooldown_until_unix_ms must not be negative, was "
                + report.getCooldownUntilUnixMs());
      }
      if (report.getConsecutiveFailures() < 0) {
        throw new InvalidFlushException(
            where
                + ".consecutive_failures must not be negative, was "
                + report.getConsecutiveFailures());
      }
      if (report.getObservedAtUnixMs() <= 0) {
        throw new InvalidFlushException(where + ".observed_at_unix_ms must be positive");
      }
    }
  }

  /**
   * Keeps the batch's reports; the caller's transaction commits them with the rest.
   *
   * @throws InvalidFlushException when a report names a provider key that does not exist
   */
  static void write(Connection connection, PGConnection pg, FlushRequest batch)
      throws SQLException {
    List<ProviderKeyHealthReport> reports = new ArrayList<>(batch.getProviderKeyHealthList());
    if (reports.isEmpty()) {
      return;
    }
    reports.sort(Comparator.comparingLong(ProviderKeyHealthReport::getProviderKeyId));
    int n = reports.size();
    long[] ids = new long[n];
    String[] states = new String[n];
    long[] cooldowns = new long[n];
    int[] failures = new int[n];
    long[] observed = new long[n];
    for (int i = 0; i < n; i++) {
      ProviderKeyHealthReport report = reports.get(i);
      ids[i] = report.getProviderKeyId();
      states[i] = STATES.get(report.getCircuitState());
      cooldowns[i] = report.getCooldownUntilUnixMs();
      failures[i] = report.getConsecutiveFailures();
      observed[i] = report.getObservedAtUnixMs();
    }
    int written;
    try (PreparedStatement statement = connection.prepareStatement(UPSERT)) {
      statement.setString(1, batch.getDpInstanceId());
      statement.setArray(2, pg.createArrayOf("int8", ids));
      statement.setArray(3, pg.createArrayOf("text", states));
      statement.setArray(4, pg.createArrayOf("int8", cooldowns));
      statement.setArray(5, pg.createArrayOf("int4", failures));
      statement.setArray(6, pg.createArrayOf("int8", observed));
      written = statement.executeUpdate();
    }
    if (written < n) {
      List<Long> missing = new ArrayList<>();
      try (PreparedStatement statement = connection.prepareStatement(MISSING)) {
        statement.setArray(1, pg.createArrayOf("int8", ids));
        try (ResultSet rows = statement.executeQuery()) {
          while (rows.next()) {
            missing.add(rows.getLong(1));
          }
        }
      }
      throw new InvalidFlushException(
          "unknown provider key provider_key_health.provider_key_id " + missing);
    }
  }
}
