package dev.tollgate.controlplane.replica;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Says in the readiness details where read-only admin endpoints read and how far the replica is
 * behind. Always UP: a replica that is down or lagging sends those reads to the primary, so the
 * control plane still serves everything (the primary's own check says when it cannot). The reason a
 * replica is unreachable is logged, not shown here: readiness is unauthenticated.
 */
@Readiness
@ApplicationScoped
public class ReadReplicaHealthCheck implements HealthCheck {

  private final ReplayLagMonitor monitor;

  ReadReplicaHealthCheck(ReplayLagMonitor monitor) {
    this.monitor = monitor;
  }

  @Override
  public HealthCheckResponse call() {
    ReplayLagMonitor.Reading reading = monitor.reading();
    HealthCheckResponseBuilder response =
        HealthCheckResponse.named("Read replica")
            .up()
            .withData("reads", reading.state().servesReads() ? "replica" : "primary")
            .withData("replica", reading.state().label());
    if (reading.state() != ReplicaState.NONE) {
      response.withData("max_lag_ms", monitor.maxLag().toMillis());
    }
    if (reading.lagNanos() >= 0) {
      response.withData("replay_lag_ms", reading.lagNanos() / 1_000_000);
    }
    return response.build();
  }
}
