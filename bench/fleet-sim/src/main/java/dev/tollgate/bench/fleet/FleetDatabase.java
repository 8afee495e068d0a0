package dev.tollgate.bench.fleet;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flywaydb.core.Flyway;

/**
 * The simulator's database: the control plane's schema (its Flyway migrations, from its jar), the
 * keys the fleet uses, and the exact check of what PostgreSQL holds against what the fleet had
 * acknowledged, cumulated over every run on it.
 */
final class FleetDatabase {

  private static final int USERS = 100;
  private static final int GROUPS = 4;

  private final String url;
  private final String user;
  private final String password;
  private final long keys;

  // Requests per key acknowledged by every run so far (index = key id); tokens are 120 × requests.
  private final long[] expected;
  private long expectedTotal;
  private final Map<Long, Long> expectedPerProviderKey = new HashMap<>();

  FleetDatabase(String url, String user, String password, long keys) {
    this.url = url;
    this.user = user;
    this.password = password;
    this.keys = keys;
    this.expected = new long[Math.toIntExact(keys + 1)];
  }

  /** Wipes the database, migrates it and seeds users, provider keys and {@code keys} keys. */
  void prepare(int providerKeys) throws SQLException {
    Flyway.configure()
        .dataSource(url, user, password)
        .cleanDisabled(false)
        .locations("classpath:db/migration")
        .load()
        .clean();
    Flyway.configure()
        .dataSource(url, user, password)
        .locations("classpath:db/migration")
        .load()
        .migrate();
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute(
          "INSERT INTO app_user (name, config_revision) SELECT 'fleet-' || g, 0"
              + " FROM generate_series(1, "
              + USERS
              + ") g");
      s.execute(
          "INSERT INTO provider_group (name, platform, models, config_revision)"
              + " SELECT 'group-' || g, 'openai', '{gpt-4o-mini}', 0 FROM generate_series(1, "
              + GROUPS
              + ") g");
      s.execute(
          "INSERT INTO provider_key (group_id, base_url, secret_ciphertext, secret_hint,"
              + " config_revision) SELECT 1 + (g % "
              + GROUPS
              + "), 'http://127.0.0.1:9/v1',"
              + " '\\x00', 'xxxx', 0 FROM generate_series(1, "
              + providerKeys
              + ") g");
      s.execute(
          "INSERT INTO api_key (user_id, name, prefix, token_hash, config_revision)"
              + " SELECT 1 + g % "
              + USERS
              + ", 'key-' || g, 'tg-fleet', md5(g::text), 0"
              + " FROM generate_series(1, "
              + keys
              + ") g");
      s.execute("VACUUM ANALYZE");
    }
  }

  /**
   * Adds what {@code fleet} had acknowledged to the expected totals and compares PostgreSQL with
   * them: "exact", or what differs.
   */
  String verify(List<SimulatedDataPlane> fleet) throws SQLException {
    for (SimulatedDataPlane dp : fleet) {
      long[] acknowledged = dp.acknowledgedRequests();
      for (int i = 0; i < acknowledged.length; i++) {
        long keyId = dp.firstKey() + i;
        expected[(int) keyId] += acknowledged[i];
        expectedTotal += acknowledged[i];
        expectedPerProviderKey.merge(
            SimulatedDataPlane.providerKeyOf(keyId), acknowledged[i], Long::sum);
      }
    }
    List<String> problems = new ArrayList<>();
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      int wrongKeys = 0;
      String firstWrong = null;
      try (ResultSet rows =
          s.executeQuery(
              "SELECT id, requests, total_tokens, quota_used FROM api_key ORDER BY id")) {
        while (rows.next()) {
          long id = rows.getLong(1);
          long want = id < expected.length ? expected[(int) id] : 0;
          if (rows.getLong(2) != want
              || rows.getLong(3) != want * 120
              || rows.getLong(4) != want * 120) {
            wrongKeys++;
            if (firstWrong == null) {
              firstWrong = "key " + id + " has " + rows.getLong(2) + " requests, sent " + want;
            }
          }
        }
      }
      if (wrongKeys > 0) {
        problems.add(wrongKeys + " keys wrong (" + firstWrong + ")");
      }
      compare(s, problems, "usage_minute", "SELECT sum(requests) FROM usage_minute");
      compare(s, problems, "usage_hour", "SELECT sum(requests) FROM usage_hour");
      compare(s, problems, "usage_day", "SELECT sum(requests) FROM usage_day");
      compare(
          s,
          problems,
          "usage_scope_minute(all)",
          "SELECT sum(requests) FROM usage_scope_minute WHERE scope = 'all'");
      compare(
          s,
          problems,
          "usage_scope_day(all)",
          "SELECT sum(requests) FROM usage_scope_day WHERE scope = 'all'");
      compare(s, problems, "api_key_usage_totals", "SELECT requests FROM api_key_usage_totals");
      compare(s, problems, "provider_group", "SELECT sum(requests) FROM provider_group");
      try (ResultSet rows = s.executeQuery("SELECT id, requests FROM provider_key")) {
        while (rows.next()) {
          long want = expectedPerProviderKey.getOrDefault(rows.getLong(1), 0L);
          if (rows.getLong(2) != want) {
            problems.add("provider key " + rows.getLong(1) + ": " + rows.getLong(2) + " ≠ " + want);
          }
        }
      }
      Map<String, Long> ledger = new HashMap<>();
      try (ResultSet rows =
          s.executeQuery("SELECT dp_instance_id, last_sequence FROM flush_ledger")) {
        while (rows.next()) {
          ledger.put(rows.getString(1), rows.getLong(2));
        }
      }
      for (SimulatedDataPlane dp : fleet) {
        long recorded = ledger.getOrDefault(dp.instanceId(), 0L);
        if (recorded != dp.lastAcknowledgedSequence()) {
          problems.add(
              "ledger of "
                  + dp.instanceId()
                  + " at "
                  + recorded
                  + ", acknowledged "
                  + dp.lastAcknowledgedSequence());
          break;
        }
      }
    }
    return problems.isEmpty() ? "exact" : String.join("; ", problems);
  }

  private void compare(Statement s, List<String> problems, String what, String sql)
      throws SQLException {
    try (ResultSet rows = s.executeQuery(sql)) {
      long got = rows.next() ? rows.getLong(1) : 0;
      if (got != expectedTotal) {
        problems.add(
            String.format(
                Locale.ROOT, "%s holds %,d requests, sent %,d", what, got, expectedTotal));
      }
    }
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(url, user, password);
  }
}
