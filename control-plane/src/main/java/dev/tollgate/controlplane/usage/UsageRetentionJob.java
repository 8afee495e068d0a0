package dev.tollgate.controlplane.usage;

import dev.tollgate.controlplane.ControlPlaneConfig;
import io.agroal.api.AgroalDataSource;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Deletes usage buckets, error events and flush dead letters older than their retention ({@link
 * ControlPlaneConfig.Retention}), and provider key health reports too old to count ({@link
 * ControlPlaneConfig.ProviderHealth}).
 *
 * <p>One replica at a time: every control plane schedules the job, and the one that gets the
 * PostgreSQL advisory lock does the work while the others skip that round. In small batches, each
 * its own short transaction, so deleting a day of minute buckets never holds locks or bloats a
 * transaction long enough to slow the flushes writing the same tables.
 */
@ApplicationScoped
public class UsageRetentionJob {

  private static final Logger LOG = Logger.getLogger(UsageRetentionJob.class);

  /** The advisory lock's key: "tollgate" + "retention" in one 64-bit number, unique to this job. */
  static final long LOCK_KEY = 0x7467_7265_7465_6e74L;

  private static final List<String> SCOPES =
      List.of("all", "user", "group", "provider_key", "model");

  private final AgroalDataSource dataSource;
  private final ControlPlaneConfig.Retention retention;
  private final Duration healthMaxAge;

  UsageRetentionJob(AgroalDataSource dataSource, ControlPlaneConfig config) {
    this.dataSource = dataSource;
    this.retention = config.retention();
    this.healthMaxAge = config.providerHealth().maxAge();
    // Shorter would make the windows and the attention list read tiers that are already gone.
    require(retention.minuteBuckets(), Duration.ofHours(25), "minute-buckets");
    require(retention.hourBuckets(), Duration.ofDays(8), "hour-buckets");
    retention.dayBuckets().ifPresent(day -> require(day, Duration.ofDays(32), "day-buckets"));
    require(retention.errorEvents(), Duration.ofMinutes(1), "error-events");
    require(retention.flushDeadLetters(), Duration.ofMinutes(1), "flush-dead-letters");
    if (retention.batchSize() < 1) {
      throw new IllegalArgumentException("tollgate.retention.batch-size must be >= 1");
    }
  }

  @Scheduled(
      identity = "usage-retention",
      every = "${tollgate.retention.interval:10m}",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  void scheduled() {
    try {
      purge(Instant.now(), retention.batchSize())
          .ifPresent(deleted -> LOG.debugf("retention deleted %s", deleted));
    } catch (SQLException e) {
      LOG.warnf("retention failed, retried next round: %s", e.toString());
    }
  }

  /**
   * Deletes what is expired at {@code now}, {@code batchSize} rows per statement.
   *
   * @return rows deleted per table, or empty when another replica holds the lock
   */
  Optional<Map<String, Long>> purge(Instant now, int batchSize) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(true);
      if (!advisoryLock(connection, "pg_try_advisory_lock")) {
        return Optional.empty();
      }
      try {
        Map<String, Long> deleted = new LinkedHashMap<>();
        for (Target target : targets(now)) {
          long rows = purge(connection, target, batchSize);
          deleted.merge(target.table, rows, Long::sum);
        }
        return Optional.of(deleted);
      } finally {
        // Session-level: the pooled connection must not keep it.
        advisoryLock(connection, "pg_advisory_unlock");
      }
    }
  }

  /**
   * Rows of {@code table} matching {@code condition} (with its parameters) before {@code cutoff}.
   */
  private record Target(String table, String condition, String scope, Instant cutoff) {}

  private List<Target> targets(Instant now) {
    List<Target> targets = new ArrayList<>();
    Instant minute = now.minus(retention.minuteBuckets());
    Instant hour = now.minus(retention.hourBuckets());
    targets.add(new Target("usage_minute", "bucket_start < ?", null, minute));
    targets.add(new Target("usage_hour", "bucket_start < ?", null, hour));
    targets.add(new Target("usage_key_failure_hour", "bucket_start < ?", null, hour));
    Optional<Instant> day = retention.dayBuckets().map(now::minus);
    day.ifPresent(cutoff -> targets.add(new Target("usage_day", "bucket_start < ?", null, cutoff)));
    // Scope by scope: the (scope, bucket_start) index serves each as a range.
    for (String scope : SCOPES) {
      String condition = "scope = ? AND bucket_start < ?";
      targets.add(new Target("usage_scope_minute", condition, scope, minute));
      targets.add(new Target("usage_scope_hour", condition, scope, hour));
      day.ifPresent(cutoff -> targets.add(new Target("usage_scope_day", condition, scope, cutoff)));
    }
    targets.add(
        new Target("error_event", "occurred_at < ?", null, now.minus(retention.errorEvents())));
    targets.add(
        new Target(
            "flush_dead_letter", "received_at < ?", null, now.minus(retention.flushDeadLetters())));
    // Reports older than that are no longer read (data planes that went away, or idle and healthy).
    targets.add(
        new Target("provider_key_health", "observed_at < ?", null, now.minus(healthMaxAge)));
    return targets;
  }

  private static long purge(Connection connection, Target target, int batchSize)
      throws SQLException {
    String sql =
        "DELETE FROM %1$s WHERE ctid IN (SELECT ctid FROM %1$s WHERE %2$s LIMIT ?)"
            .formatted(target.table, target.condition);
    long total = 0;
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      int rows;
      do {
        int index = 1;
        if (target.scope != null) {
          statement.setString(index++, target.scope);
        }
        statement.setTimestamp(index++, Timestamp.from(target.cutoff));
        statement.setInt(index, batchSize);
        rows = statement.executeUpdate();
        total += rows;
      } while (rows == batchSize);
    }
    return total;
  }

  private static boolean advisoryLock(Connection connection, String function) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement("SELECT " + function + "(?)")) {
      statement.setLong(1, LOCK_KEY);
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return rows.getBoolean(1);
      }
    }
  }

  private static void require(Duration value, Duration min, String name) {
    if (value.compareTo(min) < 0) {
      throw new IllegalArgumentException(
          "tollgate.retention." + name + " must be at least " + min + ", was " + value);
    }
  }
}
