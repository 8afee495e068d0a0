package dev.tollgate.controlplane.replica;

import dev.tollgate.controlplane.ControlPlaneConfig;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.agroal.DataSource;
import io.quarkus.arc.InjectableInstance;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jboss.logging.Logger;

/**
 * Measures how far the read replica's replay is behind the primary, and so decides where the admin
 * API's read-only endpoints read ({@link ReadConnections}).
 *
 * <p>The measurement is the lag an operator sees: every interval it notes the time and the
 * primary's WAL flush position ({@code pg_current_wal_flush_lsn()}: every commit made durable so
 * far lies before it), then reads the replica's replay position ({@code pg_last_wal_replay_lsn()})
 * until the replica has replayed past that point. The time that took is how long a commit made then
 * took to become visible on the replica. Until the replica gets there the lag is the time since, so
 * a stalled or disconnected replica shows a lag that grows with the wall clock (which {@code now()
 * - pg_last_xact_replay_timestamp()} does not when the WAL receiver is down, and which reads hours
 * on an idle primary). Only this process's clock is used, so the servers' clocks need not agree,
 * and only functions any role may call and managed streaming replicas serve. An idle primary
 * measures about 0: its position does not move and the replica is already there.
 *
 * <p>Threads: one dedicated thread measures; request threads read {@link #reading()} (a volatile
 * snapshot) and may report a failed connection ({@link #unreachable}); {@link #publish} is
 * synchronized so the two never interleave a transition.
 */
@ApplicationScoped
public class ReplayLagMonitor {

  private static final Logger LOG = Logger.getLogger(ReplayLagMonitor.class);

  /** First and longest pause between reads of the replica's position within one measurement. */
  private static final long FIRST_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  /**
   * A call to the replica (a connection or a query) running this many intervals, and at least
   * {@link #MIN_STALL_NANOS}, means a replica that takes packets and never answers: read the
   * primary meanwhile rather than send requests to hang on it too.
   */
  private static final int STALL_INTERVALS = 3;

  private static final long MIN_STALL_NANOS = TimeUnit.SECONDS.toNanos(1);

  private static final String PRIMARY_POSITION =
      "SELECT pg_wal_lsn_diff(pg_current_wal_flush_lsn(), '0/0')::bigint";

  private static final String REPLICA_POSITION =
      "SELECT pg_is_in_recovery(), pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint";

  /** The last measurement; {@code lagNanos} is negative when unknown. */
  public record Reading(ReplicaState state, long lagNanos, long atNanos) {

    /** The replay lag in seconds, NaN when unknown (no replica, unreachable, primary down). */
    public double lagSeconds() {
      return lagNanos < 0 ? Double.NaN : lagNanos / 1e9;
    }
  }

  private final AgroalDataSource primary;
  private final AgroalDataSource replica;
  private final long maxLagNanos;
  private final long intervalNanos;
  private final int networkTimeoutMillis;
  private final long stallNanos;
  private volatile Reading reading;

  /** When the call to the replica in progress started; 0 when none is. */
  private volatile long replicaCallSince;

  private ScheduledExecutorService scheduler;

  // The primary position being waited for: touched by the measuring thread only.
  private long pendingPosition = -1;
  private long pendingSince;

  ReplayLagMonitor(
      AgroalDataSource primary,
      @DataSource("read") InjectableInstance<AgroalDataSource> read,
      ControlPlaneConfig config,
      MeterRegistry meters) {
    this.primary = primary;
    // Inactive (no TOLLGATE_DB_READ_URL) means no bean to get and no pool at all.
    List<AgroalDataSource> active = read.listActive();
    this.replica = active.isEmpty() ? null : active.get(0);
    Duration maxLag = config.dbRead().maxLag();
    Duration interval = config.dbRead().lagInterval();
    if (maxLag.isNegative() || maxLag.isZero()) {
      throw new IllegalArgumentException(
          "TOLLGATE_DB_READ_MAX_LAG must be a positive duration, got " + maxLag);
    }
    if (interval.toMillis() < 10) {
      throw new IllegalArgumentException(
          "TOLLGATE_DB_READ_LAG_INTERVAL must be at least 10ms, got " + interval);
    }
    this.maxLagNanos = maxLag.toNanos();
    this.intervalNanos = interval.toNanos();
    // A hung replica must not hold the measuring thread for long, nor forever.
    this.networkTimeoutMillis = (int) Math.max(2_000, 2 * interval.toMillis());
    this.stallNanos = Math.max(MIN_STALL_NANOS, STALL_INTERVALS * intervalNanos);
    this.reading =
        new Reading(replica == null ? ReplicaState.NONE : ReplicaState.STARTING, -1, now());
    if (replica != null) {
      Gauge.builder("tollgate.db.read.replay.lag", this, m -> m.reading().lagSeconds())
          .description(
              "Time the read replica took (or is taking) to replay what the primary committed;"
                  + " NaN when unknown")
          .baseUnit("seconds")
          .register(meters);
      Gauge.builder("tollgate.db.read.replica.serving", this, m -> m.servesReads() ? 1 : 0)
          .description("1 while read-only admin endpoints read the replica, 0 while the primary")
          .register(meters);
    }
  }

  void start(@Observes StartupEvent event) {
    if (replica == null) {
      return;
    }
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "tollgate-replay-lag");
              thread.setDaemon(true);
              return thread;
            });
    scheduler.scheduleWithFixedDelay(this::measure, 0, intervalNanos, TimeUnit.NANOSECONDS);
  }

  void stop(@Observes ShutdownEvent event) {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }

  /** The last measurement, with STARTING and NONE before and without any. */
  public Reading reading() {
    Reading last = reading;
    long since = replicaCallSince;
    if (last.state().servesReads() && since != 0 && now() - since > stallNanos) {
      return new Reading(ReplicaState.UNREACHABLE, -1, since);
    }
    return last;
  }

  /** The replica's pool when read-only endpoints should read it now, else null. */
  AgroalDataSource replicaForReads() {
    return servesReads() ? replica : null;
  }

  /** The maximum lag the replica may have and still serve reads. */
  public Duration maxLag() {
    return Duration.ofNanos(maxLagNanos);
  }

  /** A request could not get a connection from the replica: the primary until the next measure. */
  void unreachable(SQLException e) {
    publish(ReplicaState.UNREACHABLE, -1, e);
  }

  private boolean servesReads() {
    return replica != null && reading().state().servesReads();
  }

  /** One measurement: at most about one interval long, then the next run goes on waiting. */
  private void measure() {
    replicaCallSince = now();
    try (Connection connection = replica.getConnection()) {
      replicaCallSince = 0;
      connection.setNetworkTimeout(Runnable::run, networkTimeoutMillis);
      try {
        // The primary's position after the replica's connection is had (opening one must not
        // count as lag), and at every measurement even while waiting for an older one: a primary
        // that went away makes the lag unknown, not ever growing.
        SQLException primaryProblem = null;
        try (Connection onPrimary = primary.getConnection()) {
          long since = now();
          long position = position(onPrimary);
          if (pendingPosition < 0) {
            pendingPosition = position;
            pendingSince = since;
          }
        } catch (SQLException e) {
          primaryProblem = e;
          pendingPosition = -1;
        }
        follow(connection, primaryProblem);
      } finally {
        connection.setNetworkTimeout(Runnable::run, 0);
      }
    } catch (SQLException e) {
      publish(ReplicaState.UNREACHABLE, -1, e);
    } catch (RuntimeException e) {
      // Never let one failure end the scheduled task: the routing would freeze on its last state.
      publish(ReplicaState.UNREACHABLE, -1, new SQLException(e));
    } finally {
      replicaCallSince = 0;
    }
  }

  /** Reads the replica's position until it passes the pending one or the interval is spent. */
  private void follow(Connection connection, SQLException primaryProblem) throws SQLException {
    long deadline = now() + intervalNanos;
    long pause = FIRST_POLL_NANOS;
    while (true) {
      long replayed;
      replicaCallSince = now();
      try (Statement statement = connection.createStatement();
          ResultSet row = statement.executeQuery(REPLICA_POSITION)) {
        row.next();
        if (!row.getBoolean(1)) {
          pendingPosition = -1;
          publish(ReplicaState.NOT_A_STANDBY, -1, null);
          return;
        }
        replayed = row.getLong(2);
      } finally {
        replicaCallSince = 0;
      }
      if (pendingPosition < 0) {
        publish(ReplicaState.PRIMARY_UNREACHABLE, -1, primaryProblem);
        return;
      }
      long lag = now() - pendingSince;
      ReplicaState state = lag > maxLagNanos ? ReplicaState.LAGGING : ReplicaState.STREAMING;
      if (replayed >= pendingPosition) {
        pendingPosition = -1;
        publish(state, lag, null);
        return;
      }
      publish(state, lag, null);
      if (now() + pause > deadline) {
        return;
      }
      LockSupport.parkNanos(pause);
      pause = Math.min(2 * pause, MAX_POLL_NANOS);
    }
  }

  private static long position(Connection primary) throws SQLException {
    try (Statement statement = primary.createStatement();
        ResultSet row = statement.executeQuery(PRIMARY_POSITION)) {
      row.next();
      return row.getLong(1);
    }
  }

  private synchronized void publish(ReplicaState state, long lagNanos, SQLException problem) {
    Reading before = reading;
    reading = new Reading(state, lagNanos, now());
    if (before.state() == state) {
      return;
    }
    String lag = lagNanos < 0 ? "unknown" : String.format("%.3f s", lagNanos / 1e9);
    if (state.servesReads()) {
      LOG.infof(
          "Read-only admin endpoints read the replica (%s, replay lag %s)", state.label(), lag);
    } else {
      LOG.warnf(
          "Read-only admin endpoints read the primary: the replica is %s (replay lag %s, max %s)%s",
          state.label(), lag, maxLag(), problem == null ? "" : ": " + problem);
    }
    if (state == ReplicaState.UNREACHABLE && before.state() != ReplicaState.UNREACHABLE) {
      // Idle connections to a replica that went away are dead: drop them now (busy ones when
      // returned) rather than hand them to the next requests once it is back.
      replica.flush(AgroalDataSource.FlushMode.GRACEFUL);
    }
  }

  private static long now() {
    return System.nanoTime();
  }
}
