package dev.tollgate.dataplane.config;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * How far behind the control plane this replica may be: {@code tollgate_config_revision} (the
 * revision served; across replicas, {@code max(tollgate_config_revision) -
 * tollgate_config_revision} is how many revisions one is behind) and {@code
 * tollgate_config_last_update_age_seconds} (time since the last snapshot, change or heartbeat; the
 * CP sends a heartbeat at least every 5 s, so a value well above that means the Watch stream is
 * stuck and the replica may be stale). Both are -1 before the first snapshot. {@code
 * tollgate_config_stream_stuck} is 1 while the stream reaches the replica but cannot be applied
 * (see {@link StuckReason}) until a snapshot loads again; {@code tollgate_config_keys} is the
 * number of client keys held. The counter {@code tollgate_config_apply_failures_total{reason}} is
 * registered by {@link ConfigWatchClient} on each failure.
 */
@ApplicationScoped
public class ConfigReplicaMetrics {

  void register(@Observes StartupEvent event, ConfigReplica replica, MeterRegistry registry) {
    Gauge.builder(
            "tollgate.config.revision",
            replica,
            r -> {
              ConfigView view = r.view();
              return view == null ? -1 : view.revision();
            })
        .description("Config revision this replica serves")
        .register(registry);
    Gauge.builder(
            "tollgate.config.last.update.age.seconds",
            replica,
            ConfigReplica::secondsSinceLastUpdate)
        .description("Seconds since the control plane's last snapshot, change or heartbeat")
        .register(registry);
    Gauge.builder("tollgate.config.stream.stuck", replica, r -> r.stuckState() == null ? 0 : 1)
        .description("1 while the config stream arrives but cannot be applied, else 0")
        .register(registry);
    Gauge.builder(
            "tollgate.config.keys",
            replica,
            r -> {
              ConfigView view = r.view();
              return view == null ? -1 : view.keyCount();
            })
        .description("Client keys in the served config view")
        .register(registry);
  }
}
