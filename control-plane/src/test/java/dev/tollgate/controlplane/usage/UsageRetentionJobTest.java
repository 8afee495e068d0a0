package dev.tollgate.controlplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Retention at a fixed "now" far in the future, so the rows each test writes just inside and just
 * outside each retention are the only ones old enough to matter.
 */
@QuarkusTest
class UsageRetentionJobTest {

  @Inject UsageRetentionJob job;
  @Inject AgroalDataSource dataSource;

  /**
   * Defaults: minute buckets 48 h, hour buckets 90 d, day buckets kept, error events 7 d, flush
   * dead letters 30 d.
   */
  private static final Map<String, Duration> KEPT =
      Map.of(
          "usage_minute", Duration.ofHours(48),
          "usage_scope_minute", Duration.ofHours(48),
          "usage_hour", Duration.ofDays(90),
          "usage_scope_hour", Duration.ofDays(90),
          "usage_key_failure_hour", Duration.ofDays(90),
          "error_event", Duration.ofDays(7),
          "flush_dead_letter", Duration.ofDays(30));

  @Test
  void deletesOnlyWhatIsOlderThanItsRetentionInBatches() throws Exception {
    // Given, in every tier, 7 rows a minute past their retention and 3 a minute short of it
    Instant now = Instant.parse("2099-06-15T12:00:00Z");
    for (var kept : KEPT.entrySet()) {
      insert(kept.getKey(), now.minus(kept.getValue()).minusSeconds(60), 7);
      insert(kept.getKey(), now.minus(kept.getValue()).plusSeconds(60), 3);
    }
    insert("usage_day", now.minus(Duration.ofDays(3650)), 2);
    insert("usage_scope_day", now.minus(Duration.ofDays(3650)), 2);

    // When the job runs with batches of 2 rows
    Optional<Map<String, Long>> deleted = job.purge(now, 2);

    // Then exactly the expired rows are gone, batch after batch, and day buckets are kept
    assertThat(deleted).isPresent();
    for (var kept : KEPT.entrySet()) {
      // (other tests' rows from years ago expire too)
      assertThat(deleted.get().get(kept.getKey())).as(kept.getKey()).isGreaterThanOrEqualTo(7);
      assertThat(count(kept.getKey(), now)).as(kept.getKey()).isEqualTo(3);
    }
    assertThat(count("usage_day", now)).isEqualTo(2);
    assertThat(count("usage_scope_day", now)).isEqualTo(2);
  }

  @Test
  void skipsTheRoundWhileAnotherReplicaHoldsTheLock() throws Exception {
    // Given expired rows and another replica holding the retention lock
    Instant now = Instant.parse("2098-06-15T12:00:00Z");
    insert("usage_minute", now.minus(Duration.ofDays(3)), 4);
    try (Connection other = dataSource.getConnection();
        Statement s = other.createStatement()) {
      s.execute("SELECT pg_advisory_lock(" + UsageRetentionJob.LOCK_KEY + ")");
      try {
        // When this replica's job runs, Then it does nothing
        assertThat(job.purge(now, 5000)).isEmpty();
        assertThat(count("usage_minute", now)).isEqualTo(4);
      } finally {
        s.execute("SELECT pg_advisory_unlock(" + UsageRetentionJob.LOCK_KEY + ")");
      }
    }

    // And once the lock is free it deletes them, and leaves the lock free again
    assertThat(job.purge(now, 5000)).isPresent();
    assertThat(count("usage_minute", now)).isZero();
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        var r = s.executeQuery("SELECT pg_try_advisory_lock(" + UsageRetentionJob.LOCK_KEY + ")")) {
      r.next();
      assertThat(r.getBoolean(1)).isTrue();
      s.execute("SELECT pg_advisory_unlock(" + UsageRetentionJob.LOCK_KEY + ")");
    }
  }

  @Test
  void deletesProviderKeyHealthReportsOlderThanTheirMaxAge() throws Exception {
    // Given a provider key reported by one data plane 3 minutes ago and by another 1 minute ago
    // (reports count for 2 minutes)
    Instant now = Instant.parse("2097-06-15T12:00:00Z");
    UsageFixtures fixtures = new UsageFixtures(dataSource);
    long providerKey = fixtures.providerKey(fixtures.group());
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      for (int minutesAgo : new int[] {3, 1}) {
        s.execute(
            "INSERT INTO provider_key_health (provider_key_id, dp_instance_id, circuit_state,"
                + " consecutive_failures, observed_at) VALUES ("
                + providerKey
                + ", 'dp-"
                + minutesAgo
                + "', 'open', 5, to_timestamp("
                + now.minusSeconds(60L * minutesAgo).getEpochSecond()
                + "))");
      }
    }

    // When the job runs
    assertThat(job.purge(now, 5000)).isPresent();

    // Then only the report that still counts is left
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        var r =
            s.executeQuery(
                "SELECT dp_instance_id FROM provider_key_health WHERE provider_key_id = "
                    + providerKey)) {
      assertThat(r.next()).isTrue();
      assertThat(r.getString(1)).isEqualTo("dp-1");
      assertThat(r.next()).isFalse();
    }
  }

  /** {@code n} rows of {@code table} at {@code at}, each with its own key. */
  private void insert(String table, Instant at, int n) throws Exception {
    String time = "to_timestamp(" + at.getEpochSecond() + ")";
    String counters = "1, 1, 0, 0, 0, 1, 1, 2, 5";
    String sql =
        switch (table) {
          case "usage_minute" ->
              "INSERT INTO usage_minute (bucket_start, key_id, provider_key_id, model, requests,"
                  + " success_requests, failure_requests, rate_limited_requests,"
                  + " estimated_requests, prompt_tokens, completion_tokens, total_tokens,"
                  + " latency_ms_sum) SELECT "
                  + time
                  + ", g, 0, 'm', "
                  + counters
                  + " FROM generate_series(1, "
                  + n
                  + ") g";
          case "usage_hour", "usage_day" ->
              "INSERT INTO "
                  + table
                  + " (bucket_start, key_id, model, requests, success_requests,"
                  + " failure_requests, rate_limited_requests, estimated_requests, prompt_tokens,"
                  + " completion_tokens, total_tokens, latency_ms_sum) SELECT "
                  + time
                  + ", g, 'm', "
                  + counters
                  + " FROM generate_series(1, "
                  + n
                  + ") g";
          case "usage_key_failure_hour" ->
              "INSERT INTO usage_key_failure_hour (bucket_start, key_id, failure_requests,"
                  + " rate_limited_requests) SELECT "
                  + time
                  + ", g, 1, 0"
                  + " FROM generate_series(1, "
                  + n
                  + ") g";
          case "error_event" ->
              "INSERT INTO error_event (occurred_at, key_id, model, status_code, error_class,"
                  + " message, latency_ms, request_id, dp_instance_id) SELECT "
                  + time
                  + ", g, 'm', 500, 'upstream_5xx', '', 1, 'r', 'dp' FROM generate_series(1, "
                  + n
                  + ") g";
          case "flush_dead_letter" ->
              "INSERT INTO flush_dead_letter (received_at, dp_instance_id, sequence, part,"
                  + " item_index, reason, detail, item) SELECT "
                  + time
                  + ", 'dp', g, 'bucket', 0, 'invalid', 'd', '{}' FROM generate_series(1, "
                  + n
                  + ") g";
          default ->
              // The scope tiers: rows spread over every scope, as the job deletes scope by scope
              "INSERT INTO "
                  + table
                  + " (scope, subject, bucket_start, requests,"
                  + " success_requests, failure_requests, rate_limited_requests,"
                  + " estimated_requests, prompt_tokens, completion_tokens, total_tokens,"
                  + " latency_ms_sum) SELECT (ARRAY['all','user','group','provider_key','model'])"
                  + "[1 + g % 5], 'retention-' || g, "
                  + time
                  + ", "
                  + counters
                  + " FROM generate_series(1, "
                  + n
                  + ") g";
        };
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** Rows of {@code table} in the 4000 days before {@code until} (its time column). */
  private long count(String table, Instant until) throws Exception {
    return count(table, until.minus(Duration.ofDays(4000)), until);
  }

  private long count(String table, Instant since, Instant until) throws Exception {
    String column =
        switch (table) {
          case "error_event" -> "occurred_at";
          case "flush_dead_letter" -> "received_at";
          default -> "bucket_start";
        };
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        var r =
            s.executeQuery(
                "SELECT count(*) FROM "
                    + table
                    + " WHERE "
                    + column
                    + " >= to_timestamp("
                    + since.getEpochSecond()
                    + ") AND "
                    + column
                    + " < to_timestamp("
                    + until.getEpochSecond()
                    + ")")) {
      r.next();
      return r.getLong(1);
    }
  }
}
