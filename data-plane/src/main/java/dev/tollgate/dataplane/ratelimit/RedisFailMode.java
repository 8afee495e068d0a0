package dev.tollgate.dataplane.ratelimit;

import dev.tollgate.dataplane.DataPlaneConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * What a request gets when Redis cannot decide in time ({@code tollgate.redis.fail-mode}), counted
 * in {@code tollgate_ratelimit_redis_unavailable_total{decision}} and logged at most every 10 s.
 * Shared by the limiters of either topology; thread-safe (atomics only).
 */
final class RedisFailMode {

  private static final Logger LOG = Logger.getLogger(RedisFailMode.class);
  private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final Decision REFUSED = new Decision(false, null, 1, true, null, null);

  private final boolean open;
  private final long timeoutMs;
  private final Counter admitted;
  private final Counter refused;
  private final AtomicLong sinceLog = new AtomicLong();
  private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);

  RedisFailMode(DataPlaneConfig.Redis settings, MeterRegistry registry) {
    this.open = settings.failMode() == DataPlaneConfig.FailMode.OPEN;
    this.timeoutMs = settings.timeout().toMillis();
    this.admitted =
        Counter.builder("tollgate.ratelimit.redis.unavailable")
            .description("Requests the fail mode decided because Redis did not answer in time")
            .tag("decision", "admitted")
            .register(registry);
    this.refused =
        Counter.builder("tollgate.ratelimit.redis.unavailable")
            .description("Requests the fail mode decided because Redis did not answer in time")
            .tag("decision", "refused")
            .register(registry);
  }

  /** Whether the fail mode admits (open) rather than refuses (closed). */
  boolean open() {
    return open;
  }

  /** The fail mode's decision for a request Redis could not decide, counted and logged. */
  Decision decide(Limits limits, String lease) {
    long total = sinceLog.incrementAndGet();
    (open ? admitted : refused).increment();
    long last = lastLogNanos.get();
    long now = System.nanoTime();
    if (now - last >= LOG_EVERY_NANOS && lastLogNanos.compareAndSet(last, now)) {
      sinceLog.addAndGet(-total);
      LOG.warnf(
          "Redis did not answer within %d ms: %d request(s) %s without limits since the last"
              + " report (tollgate.redis.fail-mode=%s)",
          timeoutMs, total, open ? "admitted" : "refused", open ? "open" : "closed");
    }
    // Admitted in open mode with its lease id: if the script did run before the answer was lost,
    // completing the request still releases what it took.
    return open ? new Decision(true, null, 0, true, limits, lease) : REFUSED;
  }
}
