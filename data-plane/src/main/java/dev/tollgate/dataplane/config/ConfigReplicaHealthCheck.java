package dev.tollgate.dataplane.config;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once the first snapshot is loaded, and from then on even when the control plane is down:
 * the replica keeps serving on its last copy. Liveness deliberately does not look at the CP.
 */
@Readiness
@ApplicationScoped
public class ConfigReplicaHealthCheck implements HealthCheck {

  private final ConfigReplica replica;

  ConfigReplicaHealthCheck(ConfigReplica replica) {
    this.replica = replica;
  }

  @Override
  public HealthCheckResponse call() {
    ConfigView view = replica.view();
    return HealthCheckResponse.named("config-replica")
        .status(view != null)
        .withData("revision", view == null ? -1 : view.revision())
        .build();
  }
}
