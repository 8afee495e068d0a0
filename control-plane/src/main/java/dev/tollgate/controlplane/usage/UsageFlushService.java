package dev.tollgate.controlplane.usage;

import dev.tollgate.controlplane.usage.FlushValidator.CheckedBatch;
import dev.tollgate.proto.usage.v1.FlushRequest;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;

/**
 * Applies a flush batch in one transaction, retrying the whole transaction on a deadlock or
 * serialization failure (PostgreSQL aborts one side of such a conflict; the same batch applied
 * again is still exactly once because the ledger row rolled back with it).
 *
 * <p>No batch can block the ones after it (usage.proto's Flush): the validator and the repository
 * turn every part that cannot be applied into a dead letter, and should the database still refuse
 * the rest for a reason retrying cannot cure ({@link #transient} says which are not), the whole
 * batch is recorded as applied with every part dead-lettered. Only transient failures reach the
 * caller, as a {@link SQLException}: the data plane resends the same batch.
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
   * @throws InvalidFlushException when the batch's envelope is invalid; nothing of it was applied
   * @throws SQLException when the database failed transiently after the retries; nothing was
   *     applied
   */
  public FlushRepository.Outcome apply(FlushRequest batch) throws SQLException {
    CheckedBatch checked;
    try {
      checked = FlushValidator.check(batch);
    } catch (InvalidFlushException e) {
      meters.counter("tollgate.flush.batches", "result", "rejected").increment();
      throw e;
    }
    FlushRepository.Outcome outcome;
    try {
      outcome = withRetries(batch, connection -> repository.apply(connection, checked));
    } catch (SQLException | RuntimeException e) {
      if (e instanceof SQLException sql && isTransient(sql)) {
        meters.counter("tollgate.flush.batches", "result", "failed").increment();
        throw sql;
      }
      String detail = describe(e);
      LOG.errorf(
          "flush %s/%d could not be applied (%s); recording all of it as dead letters",
          batch.getDpInstanceId(), batch.getSequence(), detail);
      outcome = deadLetterAll(batch, detail);
    }
    meters
        .counter("tollgate.flush.batches", "result", outcome.duplicate() ? "duplicate" : "applied")
        .increment();
    count(batch, outcome);
    return outcome;
  }

  private FlushRepository.Outcome deadLetterAll(FlushRequest batch, String detail)
      throws SQLException {
    try {
      return withRetries(batch, connection -> repository.deadLetterAll(connection, batch, detail));
    } catch (SQLException e) {
      if (isTransient(e)) {
        meters.counter("tollgate.flush.batches", "result", "failed").increment();
        throw e;
      }
      meters.counter("tollgate.flush.batches", "result", "rejected").increment();
      throw new InvalidFlushException(
          "the batch can neither be applied nor kept as dead letters: " + describe(e));
    }
  }

  /** Counts the dead letters by part and reason, and logs them without their content. */
  void count(FlushRequest batch, FlushRepository.Outcome outcome) {
    if (outcome.deadLetters().isEmpty()) {
      return;
    }
    Map<String, Integer> byKind = new TreeMap<>();
    for (DeadLetter letter : outcome.deadLetters()) {
      meters
          .counter(
              "tollgate.flush.dead.letters",
              "part",
              letter.part().name,
              "reason",
              letter.reason().name)
          .increment();
      byKind.merge(letter.part().name + "/" + letter.reason().name, 1, Integer::sum);
    }
    LOG.warnf(
        "flush %s/%d: %d part(s) kept as dead letters (%s); the rest was applied",
        batch.getDpInstanceId(), batch.getSequence(), outcome.deadLetters().size(), byKind);
  }

  private interface Work {
    FlushRepository.Outcome run(Connection connection) throws SQLException;
  }

  private FlushRepository.Outcome withRetries(FlushRequest batch, Work work) throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try {
        return applyTimer.recordCallable(() -> once(work));
      } catch (SQLException e) {
        if (!retryable(e) || attempt == MAX_ATTEMPTS) {
          throw e;
        }
        meters.counter("tollgate.flush.retries", "sqlstate", e.getSQLState()).increment();
        LOG.debugf(
            "flush %s/%d attempt %d hit %s; retrying",
            batch.getDpInstanceId(), batch.getSequence(), attempt, e.getSQLState());
        sleepBeforeRetry(attempt);
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException("flush apply failed", e);
      }
    }
  }

  private FlushRepository.Outcome once(Work work) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try {
        FlushRepository.Outcome outcome = work.run(connection);
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

  /** 40001 serialization_failure, 40P01 deadlock_detected: retried here at once. */
  static boolean retryable(SQLException e) {
    return "40001".equals(e.getSQLState()) || "40P01".equals(e.getSQLState());
  }

  /**
   * Whether a failure may pass by itself, so the data plane should resend the same batch: no
   * connection (class 08, or no SQLSTATE at all, as when the pool cannot hand one out), the server
   * shutting down or out of resources (57P, 53, 58), a cancelled statement or unavailable lock
   * (57014, 55P03), and conflicts that outlasted the retries. Anything else (bad data, a broken
   * constraint, a missing column) fails the same way every time.
   */
  static boolean isTransient(SQLException e) {
    String state = e.getSQLState();
    if (state == null || state.length() < 2) {
      return true;
    }
    return state.startsWith("08")
        || state.startsWith("53")
        || state.startsWith("57P")
        || state.startsWith("58")
        || state.equals("57014")
        || state.equals("55P03")
        || retryable(e);
  }

  private static String describe(Exception e) {
    if (e instanceof SQLException sql) {
      return "SQLSTATE " + sql.getSQLState() + ": " + firstLine(sql.getMessage());
    }
    return e.getClass().getSimpleName() + ": " + firstLine(e.getMessage());
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
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
