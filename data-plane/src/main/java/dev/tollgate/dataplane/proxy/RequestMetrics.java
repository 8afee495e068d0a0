package dev.tollgate.dataplane.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Requests answered, by HTTP status ({@code tollgate_requests_total{status}}), authenticated or
 * not. Counters are cached by status so the request path never looks a meter up in the registry.
 */
@ApplicationScoped
public class RequestMetrics {

  private final MeterRegistry registry;
  private final AtomicReferenceArray<Counter> byStatus = new AtomicReferenceArray<>(600);

  RequestMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void answered(int status) {
    int slot = status >= 0 && status < 600 ? status : 0;
    Counter counter = byStatus.get(slot);
    if (counter == null) {
      counter =
          Counter.builder("tollgate.requests")
              .description("Requests answered by the data plane")
              .tag("status", Integer.toString(status))
              .register(registry);
      byStatus.compareAndSet(slot, null, counter);
    }
    counter.increment();
  }
}
