package dev.tollgate.dataplane.proxy;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Not ready from SIGTERM on (see {@link ShutdownGate}). */
@Readiness
@ApplicationScoped
public class ShutdownGateHealthCheck implements HealthCheck {

  private final ShutdownGate gate;

  ShutdownGateHealthCheck(ShutdownGate gate) {
    this.gate = gate;
  }

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.named("accepting-requests").status(gate.ready()).build();
  }
}
