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
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Moves counted usage to the control plane, exactly once.
 *
 * <p>Every flush interval, on its own worker thread: if a batch is pending (sent, not acknowledged)
 * it is resent unchanged, same dp_instance_id and sequence, so the control plane applies it at most
 * once; otherwise the meter is drained into a new batch with the next sequence. Counts recorded in
 * the meantime stay in the meter for the next batch. After a failure, attempts back off (doubling
 * from the interval up to {@code tollgate.flush-max-backoff}).
 *
 * <p>A new batch also carries the provider keys' health due for a report ({@link
 * ProviderHealthReporter}): a snapshot taken at the drain, resent unchanged with its batch.
 *
 * <p>On shutdown, which Quarkus runs after in-flight requests have finished ({@code
 * quarkus.shutdown.timeout}), the pending batch and then whatever is left are flushed until
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
  private final String instanceId = UUID.randomUUID().toString();
  private final Counter acknowledged;
  private final Counter duplicates;
  private final Counter failures;

  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "tollgate-flusher");
            t.setDaemon(true);
            return t;
          });

  // Guarded by "this": the scheduler thread and the shutdown thread never flush at the same time.
  private FlushRequest pending;
  private long lastAcknowledgedSequence;
  private int consecutiveFailures;
  private long nextAttemptNanos;
  private volatile long lastAcknowledgedAtMs = System.currentTimeMillis();
  // When the batch now pending was drained; everything counted before it is in it or flushed.
  private long pendingDrainedAtMs;
  // When the last acknowledged (or empty) batch was drained: every count older is flushed.
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
    this.acknowledged =
        Counter.builder("tollgate.flush.batches").tag("outcome", "acknowledged").register(registry);
    this.duplicates =
        Counter.builder("tollgate.flush.batches").tag("outcome", "duplicate").register(registry);
    this.failures =
        Counter.builder("tollgate.flush.batches").tag("outcome", "failed").register(registry);
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
              shutdownTimeout,
              pending == null ? lastAcknowledgedSequence + 1 : pending.getSequence());
          return;
        }
        Thread.sleep(pauseMs);
        pauseMs = Math.min(pauseMs * 2, 2000);
      }
    }
  }

  private void tick() {
    try {
      if (System.nanoTime() - nextAttemptNanos < 0) {
        return;
      }
      if (flushOnce() == Outcome.FAILED) {
        long backoff =
            Math.min(
                maxBackoff.toNanos(), interval.toNanos() << Math.min(consecutiveFailures - 1, 20));
        nextAttemptNanos = System.nanoTime() + backoff - interval.toNanos();
      }
    } catch (RuntimeException unexpected) {
      // An exception would cancel the periodic task and silently stop all flushing.
      LOG.error("Usage flush tick failed", unexpected);
    }
  }

  /** One attempt: resend the pending batch, or drain a new one. */
  synchronized Outcome flushOnce() {
    if (pending == null) {
      long drainedAtMs = System.currentTimeMillis();
      FlushRequest content =
          meter.drain().toBuilder().addAllProviderKeyHealth(health.reportsDue(drainedAtMs)).build();
      if (isEmpty(content)) {
        lastAcknowledgedAtMs = drainedAtMs;
        flushedUntilMs = drainedAtMs;
        return Outcome.EMPTY;
      }
      pending =
          content.toBuilder()
              .setDpInstanceId(instanceId)
              .setSequence(lastAcknowledgedSequence + 1)
              .build();
      pendingDrainedAtMs = drainedAtMs;
      long requests = 0;
      for (KeyDelta delta : pending.getKeyDeltasList()) {
        requests += delta.getCounters().getRequests();
      }
      batchRequests.record(requests);
      batchBytes.record(pending.getSerializedSize());
    }
    if (consecutiveFailures > 0) {
      client.reconnectNow();
    }
    try {
      FlushResponse response = client.flush(pending, callTimeout);
      (response.getDuplicate() ? duplicates : acknowledged).increment();
      meter.acknowledged(pending);
      lastAcknowledgedSequence = pending.getSequence();
      pending = null;
      flushedUntilMs = pendingDrainedAtMs;
      consecutiveFailures = 0;
      lastAcknowledgedAtMs = System.currentTimeMillis();
      return Outcome.ACKNOWLEDGED;
    } catch (StatusRuntimeException e) {
      failures.increment();
      consecutiveFailures++;
      Status status = e.getStatus();
      if (status.getCode() == Status.Code.INVALID_ARGUMENT) {
        LOG.errorf(
            "Control plane rejected usage batch %d (%s); it is kept and resent, later counts wait"
                + " behind it",
            pending.getSequence(), status);
      } else {
        LOG.warnf(
            "Usage batch %d not acknowledged (%s, attempt %d); it will be resent unchanged",
            pending.getSequence(), status, consecutiveFailures);
      }
      return Outcome.FAILED;
    }
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
