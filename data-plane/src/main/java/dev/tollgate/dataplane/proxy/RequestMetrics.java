package dev.tollgate.dataplane.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The request path's Prometheus meters:
 *
 * <ul>
 *   <li>{@code tollgate_requests_total{status,model,group}}: requests answered, authenticated or
 *       not. Labels stay bounded: {@code model} is a model some active group of the config serves,
 *       else {@code other} ({@code none} before the body was read); {@code group} is the routed
 *       group's name, else {@code none}.
 *   <li>{@code tollgate_gateway_overhead_seconds}: per request that reached an upstream, the time
 *       spent in the gateway itself: from the request's start to asking for the upstream
 *       connection, from getting it to having sent the request, and for each response chunk from
 *       its arrival to its write to the client. Waits for the upstream and the client are not in
 *       it.
 * </ul>
 *
 * <p>Counters are cached by label so the request path never looks a meter up in the registry; the
 * histogram has fixed buckets, so its series count does not depend on traffic. Upstream latency is
 * per provider key, with the routing state ({@code routing.ProviderKeyHealth}).
 */
@ApplicationScoped
public class RequestMetrics {

  /** The label of an unknown or absent value. */
  static final String NONE = "none";

  /** The model label of a model no active group of the config serves. */
  static final String OTHER = "other";

  private final MeterRegistry registry;
  private final AtomicReferenceArray<ConcurrentHashMap<String, ConcurrentHashMap<String, Counter>>>
      byStatus = new AtomicReferenceArray<>(600);
  private final Timer overhead;

  RequestMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.overhead =
        Timer.builder("tollgate.gateway.overhead")
            .description(
                "Time a request spent in the gateway itself, waits for upstream and client excluded")
            .serviceLevelObjectives(
                micros(25),
                micros(50),
                micros(100),
                micros(250),
                micros(500),
                millis(1),
                millis(2),
                millis(5),
                millis(10),
                millis(25),
                millis(100))
            .register(registry);
  }

  void answered(int status, String model, String group) {
    int slot = status >= 0 && status < 600 ? status : 0;
    ConcurrentHashMap<String, ConcurrentHashMap<String, Counter>> byModel = byStatus.get(slot);
    if (byModel == null) {
      byStatus.compareAndSet(slot, null, new ConcurrentHashMap<>());
      byModel = byStatus.get(slot);
    }
    ConcurrentHashMap<String, Counter> byGroup = byModel.get(model);
    if (byGroup == null) {
      byGroup = byModel.computeIfAbsent(model, m -> new ConcurrentHashMap<>());
    }
    Counter counter = byGroup.get(group);
    if (counter == null) {
      counter =
          byGroup.computeIfAbsent(
              group,
              g ->
                  Counter.builder("tollgate.requests")
                      .description("Requests answered by the data plane")
                      .tag("status", Integer.toString(status))
                      .tag("model", model)
                      .tag("group", g)
                      .register(registry));
    }
    counter.increment();
  }

  void overhead(long nanos) {
    overhead.record(nanos, TimeUnit.NANOSECONDS);
  }

  private static Duration millis(long ms) {
    return Duration.ofMillis(ms);
  }

  private static Duration micros(long us) {
    return Duration.ofNanos(us * 1000);
  }
}
