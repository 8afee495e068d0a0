package dev.tollgate.dataplane.usage;

import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.FlushResponse;
import dev.tollgate.proto.usage.v1.KeyDelta;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Moves counted usage to the control plane, exactly once, and never stops doing so.
 *
 * <p>Every flush interval, on its own worker thread: if batches are pending (drained, not yet
 * acknowledged) the first is resent unchanged, same dp_instance_id and sequence, so the control
 * plane applies it at most once; otherwise the meter is drained and what it held is cut into
 * batches under {@code tollgate.flush-max-batch-bytes} ({@link FlushBatches}), numbered with the
 * next sequences. Batches go out strictly in order, each only after the one before was
 * acknowledged; after an acknowledgement the next pending one goes out at once. Counts recorded in
 * the meantime stay in the meter for the next drain.
 *
 * <p>Nothing can wedge it. The control plane acknowledges a batch even when it has to keep parts of
 * it aside (dead letters; counted here too). A batch it refuses as INVALID_ARGUMENT cannot succeed
 * if resent: it is logged, counted ({@code tollgate_flush_batches_total{outcome="rejected"}}) and
 * dropped, and the next sequence goes out. A batch refused as too big (RESOURCE_EXHAUSTED, the
 * control plane's inbound limit set lower than this budget) is cut in two and the pending batches
 * renumbered, which is safe because none of them was applied. Any other failure is transient: the
 * batch is resent, attempts backing off from the interval up to {@code tollgate.flush-max-backoff}.
 *
 * <p>Resuming: while flushes fail, the channel is asked to connect every {@code
 * tollgate.flush-reconnect-interval}, and the moment it becomes READY the pending batch goes out,
 * whatever backoff was chosen while the control plane was away.
 *
 * <p>A new batch also carries the provider keys' health due for a report ({@link
 * ProviderHealthReporter}): a snapshot taken at the drain, resent unchanged with its batch.
 *
 * <p>On shutdown, which Quarkus runs after in-flight requests have finished ({@code
 * quarkus.shutdown.timeout}), the pending batches and then whatever is left are flushed until
 * acknowledged or {@code tollgate.shutdown-flush-timeout} runs out.
 */
@ApplicationScoped
public class UsageFlusher {

  private static final Logger LOG = Logger.getLogger(UsageFlusher.class);

  /** What one attempt achieved. */
  enum Outcome {
    /** Nothing to send. */
    EMPTY,
    /** A batch was acknowledged (applied now, or already applied before). */
    ACKNOWLEDGED,
    /** The control plane refused a batch for good; it was dropped and the next one is due. */
    DROPPED,
    /** The batch was not acknowledged and stays pending. */
    FAILED
  }

  private final UsageMeter meter;
  private final ProviderHealthReporter health;
  private final UsageFlushClient client;
  private final Duration interval;
  private final Duration callTimeout;
  private final Duration maxBackoff;
  private final Duration shutdownTimeout;
  private final Duration reconnectInterval;
  private final int maxBatchBytes;
  private final String instanceId = UUID.randomUUID().toString();
  private final Counter acknowledged;
  private final Counter duplicates;
  private final Counter failures;
  private final Counter rejected;
  private final Counter deadLettered;

  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "tollgate-flusher");
            t.setDaemon(true);
            return t;
          });

  // Guarded by "this": the scheduler thread and the shutdown thread never flush at the same time.
  // Drained batches not yet acknowledged, in sequence order; only the first was ever sent.
  private final Deque<FlushRequest> pending = new ArrayDeque<>();
  private long lastSequence;
  private long lastAcknowledgedSequence;
  private volatile int consecutiveFailures;
  private long nextAttemptNanos;
  private volatile long lastAcknowledgedAtMs = System.currentTimeMillis();
  // When the batches now pending were drained; everything counted before is in them or flushed.
  private long pendingDrainedAtMs;
  // When the last acknowledged (or empty) drain was taken: every count older is flushed.
  private volatile long flushedUntilMs = System.currentTimeMillis();
  private final DistributionSummary batchRequests;
  private final DistributionSummary batchBytes;

  UsageFlusher(
      UsageMeter meter,
      ProviderHealthReporter health,
      UsageFlushClient client,
      DataPlaneConfig config,
      MeterRegistry registry) {
    this.meter = meter;
    this.health = health;
    this.client = client;
    this.interval = config.flushInterval();
    this.callTimeout = config.flushTimeout();
    this.maxBackoff = config.flushMaxBackoff();
    this.shutdownTimeout = config.shutdownFlushTimeout();
    this.reconnectInterval = config.flushReconnectInterval();
    this.maxBatchBytes = config.flushMaxBatchBytes();
    if (maxBatchBytes < FlushBatches.MIN_BUDGET_BYTES) {
      throw new IllegalArgumentException(
          "TOLLGATE_FLUSH_MAX_BATCH_BYTES (tollgate.flush-max-batch-bytes) must be at least "
              + FlushBatches.MIN_BUDGET_BYTES
              + ", was "
              + maxBatchBytes);
    }
    this.acknowledged =
        Counter.builder("tollgate.flush.batches").tag("outcome", "acknowledged").register(registry);
    this.duplicates =
        Counter.builder("tollgate.flush.batches").tag("outcome", "duplicate").register(registry);
    this.failures =
        Counter.builder("tollgate.flush.batches").tag("outcome", "failed").register(registry);
    this.rejected =
        Counter.builder("tollgate.flush.batches")
            .tag("outcome", "rejected")
            .description("Batches the control plane refused for good (dropped, not resent)")
            .register(registry);
    this.deadLettered =
        Counter.builder("tollgate.flush.dead.lettered")
            .description(
                "Parts of acknowledged batches the control plane kept as dead letters instead of"
                    + " applying")
            .register(registry);
    Gauge.builder(
            "tollgate.flush.lag.seconds",
            this,
            f -> (System.currentTimeMillis() - f.lastAcknowledgedAtMs) / 1000.0)
        .description("Seconds since the control plane last acknowledged a batch or had none due")
        .register(registry);
    Gauge.builder(
            "tollgate.flush.unflushed.age.seconds",
            this,
            f -> (System.currentTimeMillis() - f.flushedUntilMs) / 1000.0)
        .description(
            "Upper bound of the age of the oldest count not yet acknowledged by the control plane")
        .register(registry);
    this.batchRequests =
        DistributionSummary.builder("tollgate.flush.batch.requests")
            .description("Client requests counted in each new batch")
            .register(registry);
    this.batchBytes =
        DistributionSummary.builder("tollgate.flush.batch.bytes")
            .description("Serialised size of each new batch")
            .baseUnit("bytes")
            .register(registry);
  }

  /** This process's dp_instance_id. */
  public String instanceId() {
    return instanceId;
  }

  void onStart(@Observes StartupEvent event) {
    LOG.infof("Usage flusher started: dp_instance_id %s, every %s", instanceId, interval);
    long everyMs = interval.toMillis();
    scheduler.scheduleWithFixedDelay(this::tick, everyMs, everyMs, TimeUnit.MILLISECONDS);
    long probeMs = reconnectInterval.toMillis();
    scheduler.scheduleWithFixedDelay(
        this::probeWhileFailing, probeMs, probeMs, TimeUnit.MILLISECONDS);
    client.whenReady(() -> scheduler.execute(this::resume));
  }

  void onStop(@Observes ShutdownEvent event) throws InterruptedException {
    scheduler.shutdown();
    scheduler.awaitTermination(callTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    long deadline = System.nanoTime() + shutdownTimeout.toNanos();
    long pauseMs = 200;
    while (true) {
      Outcome outcome = flushOnce();
      if (outcome == Outcome.EMPTY) {
        LOG.infof("Final flush done: sequence %d acknowledged", lastAcknowledgedSequence);
        return;
      }
      if (outcome == Outcome.FAILED) {
        if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pauseMs) > deadline) {
          LOG.errorf(
              "Final flush not acknowledged within %s; batch %d and later counts are lost",
              shutdownTimeout, firstPendingSequence());
          return;
        }
        Thread.sleep(pauseMs);
        pauseMs = Math.min(pauseMs * 2, 2000);
      }
    }
  }

  private synchronized long firstPendingSequence() {
    return pending.isEmpty() ? lastSequence + 1 : pending.peekFirst().getSequence();
  }

  private void tick() {
    try {
      if (System.nanoTime() - nextAttemptNanos < 0) {
        return;
      }
      flushUntilDone();
    } catch (RuntimeException unexpected) {
      // An exception would cancel the periodic task and silently stop all flushing.
      LOG.error("Usage flush tick failed", unexpected);
    }
  }

  /** Sends pending batches one after the other until none is left or one fails. */
  private void flushUntilDone() {
    while (true) {
      Outcome outcome = flushOnce();
      if (outcome == Outcome.FAILED) {
        long backoff =
            Math.min(
                maxBackoff.toNanos(), interval.toNanos() << Math.min(consecutiveFailures - 1, 20));
        nextAttemptNanos = System.nanoTime() + backoff - interval.toNanos();
        return;
      }
      nextAttemptNanos = System.nanoTime();
      if (outcome == Outcome.EMPTY || !hasPending()) {
        return;
      }
    }
  }

  private synchronized boolean hasPending() {
    return !pending.isEmpty();
  }

  /** The channel just became ready: a failed batch goes out now, not when its backoff ends. */
  private void resume() {
    try {
      if (consecutiveFailures > 0) {
        LOG.infof("Control plane channel ready again; resending usage batch now");
        nextAttemptNanos = System.nanoTime();
        flushUntilDone();
      }
    } catch (RuntimeException unexpected) {
      LOG.error("Usage flush on reconnect failed", unexpected);
    }
  }

  private void probeWhileFailing() {
    try {
      if (consecutiveFailures > 0) {
        client.connectNow();
      }
    } catch (RuntimeException unexpected) {
      LOG.debug("Reconnect request failed", unexpected);
    }
  }

  /** One attempt: send the first pending batch, draining new ones when none is pending. */
  synchronized Outcome flushOnce() {
    if (pending.isEmpty()) {
      long drainedAtMs = System.currentTimeMillis();
      FlushRequest content =
          meter.drain().toBuilder().addAllProviderKeyHealth(health.reportsDue(drainedAtMs)).build();
      if (isEmpty(content)) {
        lastAcknowledgedAtMs = drainedAtMs;
        flushedUntilMs = drainedAtMs;
        return Outcome.EMPTY;
      }
      for (FlushRequest part : FlushBatches.split(content, maxBatchBytes)) {
        pending.addLast(number(part));
        long requests = 0;
        for (KeyDelta delta : part.getKeyDeltasList()) {
          requests += delta.getCounters().getRequests();
        }
        batchRequests.record(requests);
        batchBytes.record(part.getSerializedSize());
      }
      pendingDrainedAtMs = drainedAtMs;
    }
    if (consecutiveFailures > 0) {
      client.reconnectNow();
    }
    FlushRequest batch = pending.peekFirst();
    try {
      FlushResponse response = client.flush(batch, callTimeout);
      (response.getDuplicate() ? duplicates : acknowledged).increment();
      if (response.getDeadLettered() > 0) {
        deadLettered.increment(response.getDeadLettered());
        LOG.warnf(
            "Control plane kept %d part(s) of usage batch %d as dead letters (see its"
                + " /admin/v1/flush/dead-letters); the rest was applied",
            response.getDeadLettered(), batch.getSequence());
      }
      done(batch);
      consecutiveFailures = 0;
      lastAcknowledgedAtMs = System.currentTimeMillis();
      return Outcome.ACKNOWLEDGED;
    } catch (StatusRuntimeException e) {
      Status status = e.getStatus();
      if (status.getCode() == Status.Code.INVALID_ARGUMENT) {
        rejected.increment();
        LOG.errorf(
            "Control plane refused usage batch %d for good (%s); resending cannot help, so it is"
                + " dropped (%d key deltas) and the next sequence goes out",
            batch.getSequence(), status, batch.getKeyDeltasCount());
        done(batch);
        consecutiveFailures = 0;
        return Outcome.DROPPED;
      }
      failures.increment();
      consecutiveFailures++;
      if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED && splitFirst()) {
        LOG.warnf(
            "Usage batch %d was too big for the control plane (%s); cut in two and renumbered",
            batch.getSequence(), status);
      } else {
        LOG.warnf(
            "Usage batch %d not acknowledged (%s, attempt %d); it will be resent unchanged",
            batch.getSequence(), status, consecutiveFailures);
      }
      return Outcome.FAILED;
    }
  }

  private FlushRequest number(FlushRequest content) {
    return content.toBuilder().setDpInstanceId(instanceId).setSequence(++lastSequence).build();
  }

  /** The first pending batch is settled (acknowledged, or dropped for good). */
  private void done(FlushRequest batch) {
    pending.removeFirst();
    meter.acknowledged(batch);
    lastAcknowledgedSequence = batch.getSequence();
    if (pending.isEmpty()) {
      flushedUntilMs = pendingDrainedAtMs;
    }
  }

  /**
   * Cuts the first pending batch in two and renumbers every pending batch from its sequence on:
   * none of them was applied (the first was refused unread, the others never sent). False when the
   * batch holds a single item.
   */
  private boolean splitFirst() {
    FlushRequest first = pending.peekFirst();
    List<FlushRequest> halves =
        FlushBatches.split(
            first.toBuilder().clearDpInstanceId().clearSequence().build(),
            Math.max(FlushBatches.MIN_BUDGET_BYTES, first.getSerializedSize() / 2));
    if (halves.size() < 2) {
      return false;
    }
    List<FlushRequest> rest = new ArrayList<>(pending);
    rest.remove(0);
    pending.clear();
    lastSequence = first.getSequence() - 1;
    for (FlushRequest half : halves) {
      pending.addLast(number(half));
    }
    for (FlushRequest later : rest) {
      pending.addLast(number(later.toBuilder().clearSequence().build()));
    }
    return true;
  }

  private static boolean isEmpty(FlushRequest batch) {
    return batch.getKeyDeltasCount() == 0
        && batch.getProviderKeyDeltasCount() == 0
        && batch.getBucketsCount() == 0
        && batch.getErrorsCount() == 0
        && batch.getErrorsDropped() == 0
        && batch.getAdjustmentsCount() == 0
        && batch.getProviderKeyHealthCount() == 0;
  }
}
