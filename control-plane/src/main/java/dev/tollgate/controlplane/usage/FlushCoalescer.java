package dev.tollgate.controlplane.usage;

import dev.tollgate.controlplane.ControlPlaneConfig;
import dev.tollgate.controlplane.usage.FlushValidator.CheckedBatch;
import dev.tollgate.proto.usage.v1.FlushRequest;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Applies the batches that many data planes flush at about the same time in one transaction, so a
 * fleet costs the control plane one commit per round instead of one per data plane.
 *
 * <p>Why: with N replicas behind a load balancer every busy key's delta arrives N times per
 * interval. Applied one batch per transaction, the N transactions update the same rows one after
 * the other, each waiting for the previous one's row locks and commit (a WAL flush), so the cost
 * grows with N although the rows do not. In one transaction the round pays one commit and takes
 * each hot row's lock once.
 *
 * <p>How: a gRPC worker checks its batch ({@link FlushValidator#check}: an invalid envelope is
 * refused at once, invalid items become the batch's dead letters), hands it over ({@link #apply})
 * and waits. An applier thread takes every batch queued (waiting {@code
 * TOLLGATE_FLUSH_COALESCE_WINDOW} after the first for more to arrive, up to {@code
 * TOLLGATE_FLUSH_COALESCE_MAX_KEY_DELTAS}), and in one transaction applies each batch in turn with
 * the repository's per-batch apply: its ledger row (a batch already applied, even earlier in the
 * same round, is answered as a duplicate, as on the plain path), its counts, its provider key
 * health reports, its error events and adjustments under its own dp_instance_id, and its dead
 * letters (invalid items, items naming an unknown key or provider key) under its own dp_instance_id
 * and sequence, returned in its own outcome. Nothing is merged across batches, so nothing is
 * attributed to the wrong data plane. Each data plane is answered only after the commit. While one
 * round runs the next batches queue up, so the busier the control plane, the more each round
 * absorbs; an idle one adds only the window to a flush.
 *
 * <p>Isolation: when the round fails (the database refuses one batch's valid part, e.g. a counter
 * past bigint, or fails past the retries), it is rolled back whole and each of its batches is
 * applied alone by {@link UsageFlushService}: the batch that broke the round is recorded with all
 * its parts dead-lettered (apply_failed) for itself alone, the others are applied exactly once as
 * if never coalesced, and only a batch whose own transaction fails transiently is answered
 * UNAVAILABLE. Deadlocks and serialization failures retry the round.
 *
 * <p>Off ({@code TOLLGATE_FLUSH_COALESCE=false}): every batch is applied alone, in its own
 * transaction (the path bench/fleet-sim.sh compares against).
 */
@ApplicationScoped
public class FlushCoalescer {

  private static final Logger LOG = Logger.getLogger(FlushCoalescer.class);

  private final UsageFlushService single;
  private final AgroalDataSource dataSource;
  private final boolean enabled;
  private final long windowNanos;
  private final int maxKeyDeltas;
  private final LinkedBlockingQueue<Queued> queue = new LinkedBlockingQueue<>();
  private final DistributionSummary roundSize;
  private final Timer roundTimer;
  private final MeterRegistry meters;
  private final FlushRepository repository = new FlushRepository();

  /** A batch handed over by a gRPC worker, and where that worker waits for its outcome. */
  record Queued(
      FlushRequest batch,
      CheckedBatch checked,
      CompletableFuture<FlushRepository.Outcome> answer) {}

  FlushCoalescer(
      UsageFlushService single,
      AgroalDataSource dataSource,
      ControlPlaneConfig config,
      MeterRegistry meters) {
    this.single = single;
    this.dataSource = dataSource;
    this.meters = meters;
    ControlPlaneConfig.FlushCoalesce settings = config.flushCoalesce();
    Duration window = settings.window();
    if (window.isNegative() || window.compareTo(Duration.ofSeconds(1)) > 0) {
      throw new IllegalArgumentException(
          "TOLLGATE_FLUSH_COALESCE_WINDOW must be between 0 and 1s, not " + window);
    }
    if (settings.maxKeyDeltas() < 1) {
      throw new IllegalArgumentException(
          "TOLLGATE_FLUSH_COALESCE_MAX_KEY_DELTAS must be at least 1, not "
              + settings.maxKeyDeltas());
    }
    if (settings.appliers() < 1 || settings.appliers() > 16) {
      throw new IllegalArgumentException(
          "TOLLGATE_FLUSH_COALESCE_APPLIERS must be between 1 and 16, not " + settings.appliers());
    }
    this.enabled = settings.enabled();
    this.windowNanos = window.toNanos();
    this.maxKeyDeltas = settings.maxKeyDeltas();
    this.roundSize = meters.summary("tollgate.flush.coalesced.batches");
    this.roundTimer = meters.timer("tollgate.flush.coalesced.apply");
    if (enabled) {
      for (int i = 0; i < settings.appliers(); i++) {
        Thread applier = new Thread(this::applyRounds, "flush-coalescer-" + i);
        applier.setDaemon(true);
        applier.start();
      }
    }
  }

  /**
   * Applies {@code batch}, coalesced with the batches of other data planes that arrive meanwhile
   * when coalescing is on. Same contract as {@link UsageFlushService#apply}: invalid items and
   * items naming unknown ids are dead letters of this batch, returned in its outcome.
   *
   * @throws InvalidFlushException when the batch's envelope is invalid; nothing of it was applied
   * @throws SQLException when the database failed transiently after the retries; nothing was
   *     applied
   */
  public FlushRepository.Outcome apply(FlushRequest batch) throws SQLException {
    if (!enabled) {
      return single.apply(batch);
    }
    CheckedBatch checked;
    try {
      checked = FlushValidator.check(batch);
    } catch (InvalidFlushException e) {
      meters.counter("tollgate.flush.batches", "result", "rejected").increment();
      throw e;
    }
    Queued queued = new Queued(batch, checked, new CompletableFuture<>());
    queue.add(queued);
    try {
      return queued.answer().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while the batch was being applied", "08000", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof SQLException sql) {
        throw sql;
      }
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException("flush apply failed", e.getCause());
    }
  }

  private void applyRounds() {
    // Daemon threads for the process' life: a batch queued during shutdown is still applied.
    while (true) {
      List<Queued> round;
      try {
        round = nextRound();
      } catch (InterruptedException e) {
        return;
      }
      applyRound(round);
    }
  }

  /** The first queued batch, then whatever else arrives within the window, within the bound. */
  private List<Queued> nextRound() throws InterruptedException {
    List<Queued> round = new ArrayList<>();
    Queued first = queue.take();
    round.add(first);
    long deltas = first.batch().getKeyDeltasCount();
    long deadline = System.nanoTime() + windowNanos;
    while (deltas < maxKeyDeltas) {
      long left = deadline - System.nanoTime();
      Queued next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
      if (next == null) {
        break;
      }
      round.add(next);
      deltas += next.batch().getKeyDeltasCount();
    }
    return round;
  }

  /** Applies one round and answers each of its batches; package-private for the tests. */
  void applyRound(List<Queued> round) {
    if (round.size() == 1) {
      answerAlone(round.get(0));
      return;
    }
    List<FlushRepository.Outcome> outcomes;
    try {
      outcomes = roundTimer.recordCallable(() -> applyTogetherRetrying(round));
    } catch (Exception e) {
      // Rolled back whole: each batch on its own, so only the batch that broke the round is dead-
      // lettered (or, if the failure is transient, answered UNAVAILABLE).
      LOG.debugf(e, "coalesced round of %d batches failed; applying each alone", round.size());
      meters.counter("tollgate.flush.coalesced.fallbacks").increment();
      round.forEach(this::answerAlone);
      return;
    }
    roundSize.record(round.size());
    for (int i = 0; i < round.size(); i++) {
      FlushRepository.Outcome outcome = outcomes.get(i);
      meters
          .counter(
              "tollgate.flush.batches", "result", outcome.duplicate() ? "duplicate" : "applied")
          .increment();
      single.count(round.get(i).batch(), outcome);
      round.get(i).answer().complete(outcome);
    }
  }

  private void answerAlone(Queued queued) {
    try {
      queued.answer().complete(single.apply(queued.batch()));
    } catch (SQLException | RuntimeException e) {
      queued.answer().completeExceptionally(e);
    }
  }

  private List<FlushRepository.Outcome> applyTogetherRetrying(List<Queued> round)
      throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try {
        return applyTogether(round);
      } catch (SQLException e) {
        if (!UsageFlushService.retryable(e) || attempt == UsageFlushService.MAX_ATTEMPTS) {
          throw e;
        }
        meters.counter("tollgate.flush.retries", "sqlstate", e.getSQLState()).increment();
        UsageFlushService.sleepBeforeRetry(attempt);
      }
    }
  }

  /**
   * Applies the round's checked batches in one transaction, each by the repository's own per-batch
   * apply (its ledger row, its counts, its provider key health reports, its error events and
   * adjustments under its dp_instance_id, its dead letters under its dp_instance_id and sequence):
   * their outcomes in the round's order, or an exception and nothing applied. One commit for the
   * round is the saving; nothing is merged across batches, so every dead letter stays its batch's.
   */
  List<FlushRepository.Outcome> applyTogether(List<Queued> round) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try {
        List<FlushRepository.Outcome> outcomes = new ArrayList<>(round.size());
        for (Queued queued : round) {
          outcomes.add(repository.apply(connection, queued.checked()));
        }
        connection.commit();
        return outcomes;
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    }
  }
}
