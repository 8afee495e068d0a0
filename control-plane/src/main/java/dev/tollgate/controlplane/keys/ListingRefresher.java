package dev.tollgate.controlplane.keys;

import dev.tollgate.controlplane.ControlPlaneConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Copies the sort counters (requests, total_tokens, last_accessed_at) of api_key into
 * api_key_listing, one id range of {@code tollgate.listing.refresh-batch} keys per {@code
 * tollgate.listing.refresh-interval}, writing only rows whose values moved.
 *
 * <p>Why not in the flush: the flush must stay one cheap HOT update per key; indexing its counters
 * would slow every flush (see V3). The price is staleness: a sort by requests, tokens or last_used
 * (and a last_used range filter) reflects the counters as of at most one full cycle ago, i.e.
 * ceil(highest key id / batch) intervals (100 s at 1M keys with the defaults). The items listed
 * always show live counters.
 *
 * <p>One control-plane replica refreshes at a time: each pass takes a transaction-scoped advisory
 * lock and replicas that cannot get it skip the pass.
 */
@ApplicationScoped
public class ListingRefresher {

  private static final Logger LOG = Logger.getLogger(ListingRefresher.class);

  /** Arbitrary, unique among Tollgate's advisory locks. */
  private static final long LOCK_ID = 0x746f6c6c_0003L;

  private static final String REFRESH =
      """
      UPDATE api_key_listing l
         SET requests = k.requests,
             total_tokens = k.total_tokens,
             last_accessed_at = COALESCE(k.last_accessed_at, '-infinity')
        FROM api_key k
       WHERE k.id = l.key_id AND k.id >= ? AND k.id < ?
         AND (l.requests, l.total_tokens, l.last_accessed_at)
             IS DISTINCT FROM (k.requests, k.total_tokens, COALESCE(k.last_accessed_at, '-infinity'))
      """;

  private final DataSource dataSource;
  private final long intervalMillis;
  private final int batch;
  private ScheduledExecutorService scheduler;
  private long nextId = 1;

  ListingRefresher(DataSource dataSource, ControlPlaneConfig config) {
    this.dataSource = dataSource;
    this.intervalMillis = config.listing().refreshInterval().toMillis();
    this.batch = config.listing().refreshBatch();
  }

  void start(@Observes StartupEvent event) {
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "tollgate-listing-refresher");
              thread.setDaemon(true);
              return thread;
            });
    scheduler.scheduleWithFixedDelay(
        this::tick, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
  }

  void stop(@Observes ShutdownEvent event) {
    scheduler.shutdownNow();
  }

  private void tick() {
    try {
      refreshNextBatch();
    } catch (SQLException | RuntimeException e) {
      LOG.warnf("Cannot refresh the key listing's sort counters: %s", e.toString());
    }
  }

  /** Refreshes the next id range, wrapping after the highest id; returns the rows it changed. */
  synchronized int refreshNextBatch() throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try {
        int changed = 0;
        if (locked(connection)) {
          long maxId = maxId(connection);
          if (nextId > maxId) {
            nextId = 1;
          }
          try (PreparedStatement statement = connection.prepareStatement(REFRESH)) {
            statement.setLong(1, nextId);
            statement.setLong(2, nextId + batch);
            changed = statement.executeUpdate();
          }
          nextId += batch;
        }
        connection.commit();
        return changed;
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    }
  }

  /** Refreshes every key now: a whole cycle at once (tests, and operators' tooling). */
  public synchronized void refreshAll() throws SQLException {
    nextId = 1;
    long maxId;
    try (Connection connection = dataSource.getConnection()) {
      maxId = maxId(connection);
    }
    while (nextId <= maxId) {
      refreshNextBatch();
    }
  }

  private static boolean locked(Connection connection) throws SQLException {
    try (PreparedStatement statement =
        connection.prepareStatement("SELECT pg_try_advisory_xact_lock(?)")) {
      statement.setLong(1, LOCK_ID);
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return rows.getBoolean(1);
      }
    }
  }

  private static long maxId(Connection connection) throws SQLException {
    try (PreparedStatement statement =
            connection.prepareStatement("SELECT COALESCE(max(id), 0) FROM api_key");
        ResultSet rows = statement.executeQuery()) {
      rows.next();
      return rows.getLong(1);
    }
  }
}
