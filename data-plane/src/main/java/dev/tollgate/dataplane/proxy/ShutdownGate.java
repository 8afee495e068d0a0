package dev.tollgate.dataplane.proxy;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Closes the door on SIGTERM: from then on new requests get 503 {@code shutting_down} (which the
 * OpenAI SDKs retry, landing on another replica) while requests already in flight run to the end
 * under {@code quarkus.shutdown.timeout}. {@link ShutdownGateHealthCheck} reports not-ready from
 * that moment.
 *
 * <p>Quarkus' own graceful shutdown keeps serving new requests with {@code Connection: close} until
 * it stops the server; closing earlier keeps the drain short and bounded under load.
 */
@ApplicationScoped
public class ShutdownGate {

  private volatile boolean closed;

  void onStart(@Observes StartupEvent event) {
    // A JVM shutdown hook runs as soon as SIGTERM arrives, alongside the one that starts Quarkus'
    // graceful shutdown, so the gate closes before the drain begins.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> closed = true, "tollgate-shutdown-gate"));
  }

  /** Whether new requests are still taken. */
  public boolean open() {
    return !closed;
  }
}
