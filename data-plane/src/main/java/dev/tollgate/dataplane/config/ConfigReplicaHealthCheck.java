package dev.tollgate.dataplane.config;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once the first snapshot is loaded, and from then on even when the control plane is down:
 * the replica keeps serving on its last copy. Liveness deliberately does not look at the CP.
 *
 * <p>A stuck config stream (see {@link StuckReason}) shows in the details ({@code stuck}, {@code
 * stuck_reason}, {@code stuck_detail}, {@code stuck_seconds}, {@code apply_failures}) but does not
 * turn readiness DOWN: whatever one replica cannot apply, every replica usually cannot, and taking
 * them all out of service would turn a config fault into an outage. The replica heals itself by
 * reloading the snapshot; {@code tollgate_config_stream_stuck} is what alerts.
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
    ConfigReplica.Stuck stuck = replica.stuckState();
    var response =
        HealthCheckResponse.named("config-replica")
            .status(view != null)
            .withData("revision", view == null ? -1 : view.revision())
            .withData("stuck", stuck != null)
            .withData("apply_failures", replica.applyFailures());
    if (stuck != null) {
      response
          .withData("stuck_reason", stuck.reason().tag())
          .withData("stuck_detail", stuck.detail())
          .withData(
              "stuck_seconds",
              TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - stuck.sinceNanos()));
    }
    return response.build();
  }
}
