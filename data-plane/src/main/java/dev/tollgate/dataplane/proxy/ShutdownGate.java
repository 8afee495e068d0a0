package dev.tollgate.dataplane.proxy;

import dev.tollgate.dataplane.DataPlaneConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The drain on SIGTERM, in three steps, each keeping "every answered request is counted":
 *
 * <ol>
 *   <li>SIGTERM: readiness reports DOWN ({@link ShutdownGateHealthCheck}) and requests are served
 *       normally for {@code tollgate.shutdown-delay}. Kubernetes removes a terminating pod from the
 *       Service's endpoints asynchronously, so clients and proxies keep sending to it for a few
 *       seconds; refusing them would turn a rolling update into errors. Quarkus' own {@code
 *       quarkus.shutdown.delay} (the same value) keeps the listener open that long.
 *   <li>After the delay: new requests are refused with 503 {@code shutting_down} (which the OpenAI
 *       SDKs retry on another replica) after authentication, so each is counted on its key, and
 *       their connections are closed; requests in flight run to the end under {@code
 *       quarkus.shutdown.timeout}.
 *   <li>When the final flush begins ({@link ShutdownEvent}, observed before the flusher's): the
 *       gate is sealed. A request arriving then could no longer be counted, so its connection is
 *       closed without an answer: the client sees a reset, never an answer that is not counted.
 * </ol>
 */
@ApplicationScoped
public class ShutdownGate {

  private final Duration delay;
  private volatile boolean draining;
  private volatile boolean closed;
  private volatile boolean sealed;
  private final AtomicInteger inFlight = new AtomicInteger();

  ShutdownGate(DataPlaneConfig config) {
    this.delay = config.shutdownDelay();
  }

  void onStart(@Observes StartupEvent event) {
    // A JVM shutdown hook runs as soon as SIGTERM arrives, alongside the one that starts Quarkus'
    // graceful shutdown (whose pre-shutdown delay is the same), so readiness goes DOWN at once.
    Runtime.getRuntime().addShutdownHook(new Thread(this::drain, "tollgate-shutdown-gate"));
  }

  private void drain() {
    draining = true;
    try {
      Thread.sleep(delay.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closed = true;
  }

  /**
   * Runs before the flusher's final flush (a lower priority value is notified first): closes the
   * gate, then waits for every request already past it to be recorded (Quarkus' graceful phase may
   * end before this replica's own delay has closed the gate, and a request admitted then would
   * otherwise be recorded after the final drain), and only then seals.
   */
  void onStop(@Observes @Priority(1) ShutdownEvent event) throws InterruptedException {
    draining = true;
    closed = true;
    long deadline = System.nanoTime() + IN_FLIGHT_WAIT.toNanos();
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    sealed = true;
  }

  /** Longest wait at the seal for requests still being answered. */
  private static final Duration IN_FLIGHT_WAIT = Duration.ofSeconds(10);

  /** A request entered the pipeline; {@link #left} must follow once it is recorded. */
  void entered() {
    inFlight.incrementAndGet();
  }

  /** A request that {@link #entered} is recorded (or was never to be). */
  void left() {
    inFlight.decrementAndGet();
  }

  /** Whether the replica wants traffic: false from SIGTERM on. */
  public boolean ready() {
    return !draining;
  }

  /** Whether new requests are served: true until the shutdown delay has passed. */
  public boolean accepting() {
    return !closed;
  }

  /** Whether the final flush has begun, so that nothing more can be counted. */
  public boolean sealed() {
    return sealed;
  }
}
