package dev.tollgate.controlplane.usage;

import dev.tollgate.proto.usage.v1.FlushRequest;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;

/**
 * Applies a flush batch in one transaction, retrying the whole transaction on a deadlock or
 * serialization failure (PostgreSQL aborts one side of such a conflict; the same batch applied
 * again is still exactly once because the ledger row rolled back with it).
 */
@ApplicationScoped
public class UsageFlushService {

  private static final Logger LOG = Logger.getLogger(UsageFlushService.class);
  static final int MAX_ATTEMPTS = 8;

  private final AgroalDataSource dataSource;
  private final FlushRepository repository = new FlushRepository();
  private final MeterRegistry meters;
  private final Timer applyTimer;

  UsageFlushService(AgroalDataSource dataSource, MeterRegistry meters) {
    this.dataSource = dataSource;
    this.meters = meters;
    this.applyTimer = meters.timer("tollgate.flush.apply");
  }

  /**
   * @throws InvalidFlushException when the batch is invalid; nothing of it was applied
   * @throws SQLException when the database failed after the retries; nothing was applied
   */
  public FlushRepository.Outcome apply(FlushRequest batch) throws SQLException {
    FlushValidator.validate(batch);
    for (int attempt = 1; ; attempt++) {
      try {
        FlushRepository.Outcome outcome = applyTimer.recordCallable(() -> applyOnce(batch));
        meters
            .counter(
                "tollgate.flush.batches", "result", outcome.duplicate() ? "duplicate" : "applied")
            .increment();
        return outcome;
      } catch (SQLException e) {
        if (!retryable(e) || attempt == MAX_ATTEMPTS) {
          meters.counter("tollgate.flush.batches", "result", "failed").increment();
          throw e;
        }
        meters.counter("tollgate.flush.retries", "sqlstate", e.getSQLState()).increment();
        LOG.debugf(
            "flush %s/%d attempt %d hit %s; retrying",
            batch.getDpInstanceId(), batch.getSequence(), attempt, e.getSQLState());
        sleepBeforeRetry(attempt);
      } catch (InvalidFlushException e) {
        meters.counter("tollgate.flush.batches", "result", "rejected").increment();
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException("flush apply failed", e);
      }
    }
  }

  private FlushRepository.Outcome applyOnce(FlushRequest batch) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try {
        FlushRepository.Outcome outcome = repository.apply(connection, batch);
        if (outcome.duplicate()) {
          connection.rollback();
        } else {
          connection.commit();
        }
        return outcome;
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    }
  }

  /** 40001 serialization_failure, 40P01 deadlock_detected. */
  static boolean retryable(SQLException e) {
    return "40001".equals(e.getSQLState()) || "40P01".equals(e.getSQLState());
  }

  static void sleepBeforeRetry(int attempt) {
    // Jittered so that the two sides of a conflict don't collide again in lockstep.
    long bound = Math.min(200, 5L << attempt);
    try {
      Thread.sleep(ThreadLocalRandom.current().nextLong(1, bound + 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
