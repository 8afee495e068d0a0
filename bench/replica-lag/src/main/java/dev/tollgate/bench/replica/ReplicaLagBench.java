package dev.tollgate.bench.replica;

import dev.tollgate.controlplane.usage.FlushRepository;
import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.KeyDelta;
import dev.tollgate.proto.usage.v1.ProviderKeyDelta;
import dev.tollgate.proto.usage.v1.UsageBucket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.flywaydb.core.Flyway;

/**
 * How long a commit on the primary takes to become visible on a streaming replica: the lag an
 * operator sees on the admin API's read-only endpoints when TOLLGATE_DB_READ_URL is set.
 *
 * <p>A probe commits one row on the primary every {@code --probe-interval-ms} and reads the replica
 * until the row is there; its lag is the time from the commit's return to the first read that sees
 * it (reads every 0.2 ms, so that is the resolution). Three phases in one run, each with its own
 * histogram: <b>idle</b> (probes only), <b>flush</b> (the control plane's own {@link
 * FlushRepository} applies a batch of {@code --keys} key deltas, each with a minute bucket, every
 * {@code --flush-interval-ms}, as data planes flushing to a control plane make it) and
 * <b>saturated</b> (the same batches back to back: as much flush as the primary takes).
 */
public final class ReplicaLagBench {

  private static final int PROVIDER_KEYS = 100;
  private static final int GROUPS = 10;
  private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
  private static final long GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final String primaryUrl;
  private final String replicaUrl;
  private final String user;
  private final String password;
  private long probeId;
  private long sequence;

  private ReplicaLagBench(String primaryUrl, String replicaUrl, String user, String password) {
    this.primaryUrl = primaryUrl;
    this.replicaUrl = replicaUrl;
    this.user = user;
    this.password = password;
  }

  private record Phase(String name, String load, long flushIntervalMillis, int seconds) {}

  private record Result(
      Phase phase, Histogram lag, long lost, long batches, long keyDeltas, long walBytes) {}

  public static void main(String[] args) throws Exception {
    String primary = null;
    String replica = null;
    String user = "tollgate";
    String password = "tollgate";
    int keys = 10_000;
    long flushInterval = 1_000;
    long probeInterval = 20;
    int idle = 20;
    int load = 30;
    int saturated = 30;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--primary-url" -> primary = args[++i];
        case "--replica-url" -> replica = args[++i];
        case "--db-user" -> user = args[++i];
        case "--db-password" -> password = args[++i];
        case "--keys" -> keys = Integer.parseInt(args[++i]);
        case "--flush-interval-ms" -> flushInterval = Long.parseLong(args[++i]);
        case "--probe-interval-ms" -> probeInterval = Long.parseLong(args[++i]);
        case "--idle-seconds" -> idle = Integer.parseInt(args[++i]);
        case "--load-seconds" -> load = Integer.parseInt(args[++i]);
        case "--saturated-seconds" -> saturated = Integer.parseInt(args[++i]);
        default -> usage("unknown argument: " + args[i]);
      }
    }
    if (primary == null || replica == null) {
      usage("--primary-url and --replica-url are required");
    }
    List<Phase> phases =
        List.of(
            new Phase("idle", "none", -1, idle),
            new Phase(
                "flush", keys + " key deltas every " + flushInterval + " ms", flushInterval, load),
            new Phase("saturated", keys + " key deltas back to back", 0, saturated));
    new ReplicaLagBench(primary, replica, user, password).run(keys, probeInterval, phases);
  }

  private static void usage(String problem) {
    System.err.println(
        "usage: ReplicaLagBench --primary-url JDBC --replica-url JDBC [--db-user U]"
            + " [--db-password P] [--keys 10000] [--flush-interval-ms 1000]"
            + " [--probe-interval-ms 20] [--idle-seconds 20] [--load-seconds 30]"
            + " [--saturated-seconds 30]\n"
            + problem);
    System.exit(2);
  }

  private void run(int keys, long probeInterval, List<Phase> phases) throws Exception {
    System.out.printf(
        Locale.ROOT,
        "replica-lag: primary %s, replica %s; %d keys, probes every %d ms%n",
        primaryUrl,
        replicaUrl,
        keys,
        probeInterval);
    prepare(keys);
    // Warm the JIT and PostgreSQL's caches on the flush path before measuring anything.
    try (Connection c = DriverManager.getConnection(primaryUrl, user, password)) {
      for (int i = 0; i < 3; i++) {
        flush(c, keys);
      }
    }
    List<Result> results = new ArrayList<>();
    for (Phase phase : phases) {
      if (phase.seconds() > 0) {
        results.add(measure(phase, keys, probeInterval));
      }
    }
    print(results);
  }

  private void prepare(int keys) throws SQLException {
    Flyway flyway =
        Flyway.configure()
            .dataSource(primaryUrl, user, password)
            .cleanDisabled(false)
            .locations("classpath:db/migration")
            .load();
    flyway.clean();
    flyway.migrate();
    try (Connection c = DriverManager.getConnection(primaryUrl, user, password);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE replica_lag_probe (id bigint PRIMARY KEY)");
      s.execute("INSERT INTO app_user (name, config_revision) VALUES ('lag-bench', 0)");
      s.execute(
          ("INSERT INTO provider_group (name, platform, models, config_revision)"
                  + " SELECT 'g' || n, 'openai', '{gpt-4o-mini}', 0 FROM generate_series(1, %d) n;"
                  + " INSERT INTO provider_key (group_id, base_url, secret_ciphertext,"
                  + " secret_hint, config_revision) SELECT 1 + n %% %d, 'http://127.0.0.1:9/v1',"
                  + " '\\x00', 'xxxx', 0 FROM generate_series(1, %d) n;"
                  + " INSERT INTO api_key (user_id, name, prefix, token_hash, config_revision)"
                  + " SELECT 1, 'k' || n, 'tg-lag', md5(n::text), 0 FROM generate_series(1, %d) n")
              .formatted(GROUPS, GROUPS, PROVIDER_KEYS, keys));
      s.execute("VACUUM ANALYZE");
    }
  }

  private Result measure(Phase phase, int keys, long probeInterval) throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicReference<Exception> failure = new AtomicReference<>();
    long[] flushed = new long[2];
    Thread flusher = null;
    if (phase.flushIntervalMillis() >= 0) {
      flusher =
          new Thread(
              () -> {
                try {
                  flushUntilStopped(phase.flushIntervalMillis(), keys, running, flushed);
                } catch (SQLException e) {
                  failure.set(e);
                }
              },
              "flusher");
      flusher.start();
    }
    Histogram lag = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
    long lost = 0;
    long walBefore;
    long walAfter;
    try (Connection primary = DriverManager.getConnection(primaryUrl, user, password);
        Connection replica = DriverManager.getConnection(replicaUrl, user, password);
        PreparedStatement insert =
            primary.prepareStatement("INSERT INTO replica_lag_probe (id) VALUES (?)");
        PreparedStatement find =
            replica.prepareStatement("SELECT 1 FROM replica_lag_probe WHERE id = ?")) {
      walBefore = walPosition(primary);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(phase.seconds());
      long next = System.nanoTime();
      while (System.nanoTime() < end) {
        LockSupport.parkNanos(next - System.nanoTime());
        next += TimeUnit.MILLISECONDS.toNanos(probeInterval);
        long id = ++probeId;
        insert.setLong(1, id);
        insert.executeUpdate();
        long committed = System.nanoTime();
        find.setLong(1, id);
        long visible = -1;
        while (System.nanoTime() - committed < GIVE_UP_NANOS) {
          try (ResultSet row = find.executeQuery()) {
            if (row.next()) {
              visible = System.nanoTime();
              break;
            }
          }
          LockSupport.parkNanos(POLL_NANOS);
        }
        if (visible < 0) {
          lost++;
        } else {
          lag.recordValue(Math.max(0, TimeUnit.NANOSECONDS.toMicros(visible - committed)));
        }
      }
      walAfter = walPosition(primary);
    } finally {
      running.set(false);
      if (flusher != null) {
        flusher.join();
      }
    }
    if (failure.get() != null) {
      throw new IllegalStateException("the flush load failed", failure.get());
    }
    return new Result(phase, lag, lost, flushed[0], flushed[1], walAfter - walBefore);
  }

  /** Applies batches until stopped; {@code interval} 0 is back to back. */
  private void flushUntilStopped(long interval, int keys, AtomicBoolean running, long[] flushed)
      throws SQLException {
    try (Connection c = DriverManager.getConnection(primaryUrl, user, password)) {
      long next = System.nanoTime();
      while (running.get()) {
        flush(c, keys);
        flushed[0]++;
        flushed[1] += keys;
        next += TimeUnit.MILLISECONDS.toNanos(interval);
        LockSupport.parkNanos(next - System.nanoTime());
      }
    }
  }

  /** One batch as a data plane sends it: every key once, with this minute's bucket. */
  private void flush(Connection c, int keys) throws SQLException {
    long now = System.currentTimeMillis();
    FlushRequest.Builder batch =
        FlushRequest.newBuilder().setDpInstanceId("replica-lag-bench").setSequence(++sequence);
    for (long id = 1; id <= keys; id++) {
      batch
          .addKeyDeltas(
              KeyDelta.newBuilder()
                  .setKeyId(id)
                  .setCounters(counters(1))
                  .setLastAccessedAtUnixMs(now))
          .addBuckets(
              UsageBucket.newBuilder()
                  .setBucketStartUnixS(now / 60_000 * 60)
                  .setKeyId(id)
                  .setProviderKeyId(1 + id % PROVIDER_KEYS)
                  .setModel("gpt-4o-mini")
                  .setCounters(counters(1))
                  .setLatencyMsSum(250));
    }
    for (long id = 1; id <= PROVIDER_KEYS; id++) {
      batch.addProviderKeyDeltas(
          ProviderKeyDelta.newBuilder()
              .setProviderKeyId(id)
              .setCounters(counters(Math.max(1, keys / PROVIDER_KEYS))));
    }
    c.setAutoCommit(false);
    new FlushRepository().apply(c, batch.build());
    c.commit();
    c.setAutoCommit(true);
  }

  private static Counters counters(int requests) {
    return Counters.newBuilder()
        .setRequests(requests)
        .setSuccessRequests(requests)
        .setPromptTokens(100L * requests)
        .setCompletionTokens(20L * requests)
        .setTotalTokens(120L * requests)
        .build();
  }

  private static long walPosition(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")) {
      r.next();
      return r.getLong(1);
    }
  }

  private static void print(List<Result> results) {
    double idleP99 = -1;
    System.out.println();
    System.out.println(
        "| phase | flush load | key deltas/s applied | WAL MB/s | probes | p50 ms | p90 ms | p99 ms"
            + " | max ms | p99 / idle p99 |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (Result r : results) {
      Histogram h = r.lag();
      double p99 = h.getValueAtPercentile(99) / 1000.0;
      if (r.phase().name().equals("idle")) {
        idleP99 = p99;
      }
      System.out.printf(
          Locale.ROOT,
          "| %s | %s | %,d | %.1f | %d%s | %.2f | %.2f | %.2f | %.2f | %s |%n",
          r.phase().name(),
          r.phase().load(),
          r.keyDeltas() / r.phase().seconds(),
          r.walBytes() / 1e6 / r.phase().seconds(),
          h.getTotalCount(),
          r.lost() > 0 ? " (" + r.lost() + " never seen)" : "",
          h.getValueAtPercentile(50) / 1000.0,
          h.getValueAtPercentile(90) / 1000.0,
          p99,
          h.getMaxValue() / 1000.0,
          idleP99 > 0 ? String.format(Locale.ROOT, "%.1f×", p99 / idleP99) : "—");
    }
  }
}
