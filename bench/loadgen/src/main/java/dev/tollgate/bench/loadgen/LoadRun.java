package dev.tollgate.bench.loadgen;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs one {@link LoadSpec} to the end and returns what its measured window saw. Bounded: it stops
 * issuing at warm-up + duration, waits at most twice the request timeout (plus a second) for
 * requests still in flight, and counts those that never finished as errors.
 */
final class LoadRun {

  /**
   * A parked thread wakes up to ~60 µs late (Linux timer slack); the pacer parks until this much
   * before the intended start and spins the rest, so requests leave on time without burning a core.
   */
  private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(80);

  private final LoadSpec spec;
  private final Measurements measurements = new Measurements();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong inFlight = new AtomicLong();
  private final AtomicLong measuredInFlight = new AtomicLong();
  private final AtomicLong lastMeasuredEnd = new AtomicLong();

  /** Set once the run is over: a request completing later is not recorded. */
  private volatile boolean closed;

  private long measureStart;
  private long measureEnd;

  private LoadRun(LoadSpec spec) {
    this.spec = spec;
  }

  static RunResult execute(LoadSpec spec) throws InterruptedException {
    return new LoadRun(spec).execute();
  }

  private RunResult execute() throws InterruptedException {
    Vertx vertx =
        Vertx.vertx(
            new VertxOptions()
                .setEventLoopPoolSize(spec.eventLoops())
                .setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1));
    List<TargetClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < spec.eventLoops(); i++) {
        clients.add(new TargetClient(vertx, spec, share(spec.connections(), spec.eventLoops(), i)));
      }
      // A short lead time so the first scheduled request does not start late.
      long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
      measureStart = start + spec.warmup().toNanos();
      measureEnd = measureStart + spec.duration().toNanos();
      if (spec.mode() == LoadSpec.Mode.FIXED) {
        fixedRate(clients, start);
      } else {
        saturation(clients, start);
      }
      drain();
      closed = true;
      long unfinished = measuredInFlight.get();
      for (long i = 0; i < unfinished; i++) {
        measurements.recordError("unfinished", "no answer before the run's drain deadline");
      }
      return new RunResult(
          spec, measurements, sent.get(), answered.get(), elapsedSeconds(), loadAverage());
    } finally {
      closed = true;
      Future.join(clients.stream().map(TargetClient::close).toList())
          .eventually(v -> vertx.close())
          .toCompletionStage()
          .toCompletableFuture()
          .orTimeout(5, TimeUnit.SECONDS)
          .exceptionally(e -> null)
          .join();
    }
  }

  /** Open loop: request {@code i} starts at {@code start + i / rate}, whatever came back. */
  private void fixedRate(List<TargetClient> clients, long start) {
    double periodNanos = 1e9 / spec.ratePerSecond();
    for (long i = 0; ; i++) {
      long intended = start + Math.round(i * periodNanos);
      if (intended >= measureEnd) {
        return;
      }
      sleepUntil(intended);
      boolean measured = intended >= measureStart;
      TargetClient client = clients.get((int) (i % clients.size()));
      sent.incrementAndGet();
      inFlight.incrementAndGet();
      if (measured) {
        measuredInFlight.incrementAndGet();
      }
      // If the pacer falls behind, the late requests still carry their intended start, so the
      // delay shows in the latency instead of being hidden (coordinated omission).
      client
          .context()
          .runOnContext(
              v ->
                  client.send(
                      intended,
                      ex -> {
                        if (measured) {
                          measuredInFlight.decrementAndGet();
                        }
                        finished(ex, measured);
                      }));
    }
  }

  /** Closed loop: each connection's next request leaves when its previous one ended. */
  private void saturation(List<TargetClient> clients, long start) throws InterruptedException {
    sleepUntil(start);
    CountDownLatch lanesDone = new CountDownLatch(spec.connections());
    for (int lane = 0; lane < spec.connections(); lane++) {
      TargetClient client = clients.get(lane % clients.size());
      client.context().runOnContext(v -> nextInLane(client, lanesDone));
    }
    lanesDone.await(
        spec.warmup().toNanos() + spec.duration().toNanos() + 2 * spec.timeout().toNanos(),
        TimeUnit.NANOSECONDS);
  }

  private void nextInLane(TargetClient client, CountDownLatch lanesDone) {
    long now = System.nanoTime();
    if (now >= measureEnd || closed) {
      lanesDone.countDown();
      return;
    }
    sent.incrementAndGet();
    inFlight.incrementAndGet();
    client.send(
        now,
        ex -> {
          // In a closed loop a response belongs to the window it ended in.
          boolean measured = ex.endNanos >= measureStart && ex.endNanos < measureEnd;
          finished(ex, measured);
          nextInLane(client, lanesDone);
        });
  }

  private void finished(TargetClient.Exchange ex, boolean measured) {
    inFlight.decrementAndGet();
    if (ex.status != 0) {
      answered.incrementAndGet();
    }
    if (!measured || closed) {
      return;
    }
    if (ex.ok()) {
      measurements.recordSuccess(
          ex.originNanos, ex.sentNanos, ex.headersNanos, ex.endNanos, ex.bytes);
    } else {
      measurements.recordError(ex.errorKind, ex.errorDetail);
    }
    lastMeasuredEnd.accumulateAndGet(ex.endNanos, Math::max);
  }

  private void drain() {
    long deadline = System.nanoTime() + 2 * spec.timeout().toNanos() + TimeUnit.SECONDS.toNanos(1);
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }

  /**
   * Seconds the measured window lasted: its duration, or in fixed-rate mode until the last measured
   * response arrived when that was later (a target that falls behind gets a lower rate).
   */
  private double elapsedSeconds() {
    long end = measureEnd;
    if (spec.mode() == LoadSpec.Mode.FIXED) {
      end = Math.max(end, lastMeasuredEnd.get());
    }
    return (end - measureStart) / 1e9;
  }

  /** The one-minute load average, or null where Linux' /proc/loadavg is not there. */
  private static Double loadAverage() {
    try {
      String line = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg"));
      return Double.valueOf(line.substring(0, line.indexOf(' ')));
    } catch (java.io.IOException | RuntimeException e) {
      return null;
    }
  }

  private static void sleepUntil(long deadline) {
    for (long wait = deadline - System.nanoTime(); wait > 0; wait = deadline - System.nanoTime()) {
      if (wait > SPIN_NANOS) {
        LockSupport.parkNanos(wait - SPIN_NANOS);
      } else {
        Thread.onSpinWait();
      }
    }
  }

  /** Connections for event loop {@code index} when {@code total} are spread over {@code loops}. */
  static int share(int total, int loops, int index) {
    return total / loops + (index < total % loops ? 1 : 0);
  }
}
