package dev.tollgate.dataplane.routing;

import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.dataplane.upstream.UpstreamErrorClassifier.Classification;
import dev.tollgate.dataplane.usage.ProviderHealthReporter;
import dev.tollgate.dataplane.usage.UpstreamAttempt.Throttle;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.usage.v1.CircuitState;
import dev.tollgate.proto.usage.v1.ProviderKeyHealthReport;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.github.resilience4j.core.IntervalFunction;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Health and load of every provider key this data plane has routed to, and the rules that keep
 * unusable keys out of the choice:
 *
 * <ul>
 *   <li>429 → the key cools down until the reset its headers name ({@link
 *       dev.tollgate.dataplane.upstream.UpstreamErrorClassifier}), capped by {@code
 *       tollgate.routing.max-cooldown}; adaptive keys may also lower their limit.
 *   <li>401/403 → the key is taken out for {@code tollgate.routing.auth-failure-cooldown}, or until
 *       the control plane sends a changed copy of it (a new secret, a new base URL), whichever
 *       comes first; logged at most once a minute per key and counted.
 *   <li>5xx, 408, connect errors and timeouts → a circuit breaker per key (Resilience4j,
 *       count-based window): opens at ≥ {@code failure-rate-percent} errors over ≥ {@code
 *       minimum-samples} tries; after {@code open-duration} one half-open probe is let through; a
 *       failed probe doubles the wait up to {@code max-open-duration}; a successful probe closes
 *       it.
 * </ul>
 *
 * <p>Resilience4j's breaker is used programmatically (tryAcquirePermission / onSuccess / onError):
 * it never blocks or schedules anything, which fits the event-loop model. The open → half-open
 * transition happens lazily on the next permission request, so no timer per key is needed.
 *
 * <p>Threads: any event loop; state is per key and thread-safe (see {@link ProviderKeyState}).
 */
@ApplicationScoped
public class ProviderKeyHealth implements ProviderHealthReporter {

  private static final Logger LOG = Logger.getLogger(ProviderKeyHealth.class);
  private static final long AUTH_LOG_INTERVAL_MS = 60_000;

  /** Why a key cannot take a request now. */
  public enum Availability {
    USABLE,
    /** In-flight requests reached the fixed or learned limit. */
    FULL,
    /** Resting after a 429. */
    COOLING,
    /** Circuit open (or half-open with its probe already out). */
    OPEN,
    /** Taken out after a 401/403. */
    OUT
  }

  private final ConcurrentHashMap<Long, ProviderKeyState> states = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> failovers = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> throttles = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Long, Long> lastAuthLogMs = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private final CircuitBreakerConfig breakerConfig;
  private final DataPlaneConfig.Routing settings;
  private final int initialLimit;
  private volatile ThrottleListener throttleListener = (state, throttle) -> {};

  ProviderKeyHealth(DataPlaneConfig config, MeterRegistry registry) {
    this.settings = config.routing();
    this.registry = registry;
    this.initialLimit = settings.adaptive().initialLimit();
    DataPlaneConfig.Circuit circuit = settings.circuit();
    this.breakerConfig =
        CircuitBreakerConfig.custom()
            .slidingWindow(
                circuit.windowSize(), circuit.minimumSamples(), SlidingWindowType.COUNT_BASED)
            .failureRateThreshold(circuit.failureRatePercent())
            .permittedNumberOfCallsInHalfOpenState(1)
            .waitIntervalFunctionInOpenState(
                IntervalFunction.ofExponentialBackoff(
                    circuit.openDuration(), 2.0, circuit.maxOpenDuration()))
            .automaticTransitionFromOpenToHalfOpenEnabled(false)
            // Slow answers are not errors here: the first-byte and idle timeouts bound them.
            .slowCallRateThreshold(100)
            .slowCallDurationThreshold(Duration.ofDays(1))
            .writableStackTraceEnabled(false)
            .build();
  }

  /** Called on every 429 after the cooldown is set (adaptive concurrency listens). */
  interface ThrottleListener {
    void throttled(ProviderKeyState state, Throttle throttle);
  }

  void onThrottle(ThrottleListener listener) {
    this.throttleListener = listener;
  }

  /** Every key routed to so far. */
  Collection<ProviderKeyState> states() {
    return states.values();
  }

  /** The initial limit of an adaptive key that has learned nothing yet. */
  int initialLimit() {
    return initialLimit;
  }

  /** The state of {@code providerKey}, created on first use; remembers the newest config copy. */
  ProviderKeyState state(ProviderKey providerKey) {
    ProviderKeyState state = states.get(providerKey.getId());
    if (state == null) {
      state = states.computeIfAbsent(providerKey.getId(), id -> create(providerKey));
    }
    if (state.config != providerKey) {
      state.config = providerKey;
    }
    return state;
  }

  private ProviderKeyState create(ProviderKey providerKey) {
    String id = Long.toString(providerKey.getId());
    CircuitBreaker breaker = CircuitBreaker.of("provider-key-" + id, breakerConfig);
    Timer latency =
        Timer.builder("tollgate.upstream.latency")
            .description("Duration of upstream tries, from sending to the end of the answer")
            .tag("provider_key", id)
            .serviceLevelObjectives(
                Duration.ofMillis(50),
                Duration.ofMillis(100),
                Duration.ofMillis(250),
                Duration.ofMillis(500),
                Duration.ofSeconds(1),
                Duration.ofMillis(2500),
                Duration.ofSeconds(5),
                Duration.ofSeconds(10),
                Duration.ofSeconds(30),
                Duration.ofSeconds(60),
                Duration.ofSeconds(120))
            .register(registry);
    ProviderKeyState state =
        new ProviderKeyState(
            providerKey,
            breaker,
            latency,
            settings.adaptive().sampleWindow(),
            System.currentTimeMillis());
    Gauge.builder("tollgate.upstream.circuit.state", state, ProviderKeyState::circuitState)
        .description("Circuit of a provider key: 0 closed, 1 half-open, 2 open")
        .tag("provider_key", id)
        .register(registry);
    Gauge.builder("tollgate.upstream.concurrency.limit", state, s -> s.limit(initialLimit))
        .description("Concurrency limit in force for a provider key (fixed or learned)")
        .tag("provider_key", id)
        .register(registry);
    Gauge.builder("tollgate.upstream.in.flight", state, s -> s.inFlight.get())
        .description("Requests this data plane has in flight with a provider key")
        .tag("provider_key", id)
        .register(registry);
    return state;
  }

  /** Whether {@code state}'s key can take a request now, without taking anything. */
  Availability availability(ProviderKeyState state, long nowMs) {
    if (state.outUntilMs > nowMs) {
      if (state.refusedCopy == state.config || state.refusedCopy.equals(state.config)) {
        return Availability.OUT;
      }
      // The operator changed the key (new secret or URL): give it a chance at once.
      state.outUntilMs = 0;
    }
    if (state.cooldownUntilMs > nowMs) {
      return Availability.COOLING;
    }
    if (state.totalInFlight() >= state.limit(initialLimit)) {
      return Availability.FULL;
    }
    return Availability.USABLE;
  }

  /**
   * Takes an in-flight slot and the circuit's permission for a try of the key, or returns null when
   * the circuit refuses (open, or half-open with its probe already out).
   */
  UpstreamLease tryAcquire(ProviderKeyState state, long nowMs) {
    if (!state.breaker.tryAcquirePermission()) {
      return null;
    }
    state.inFlight.incrementAndGet();
    state.lastUsedMs = nowMs;
    return new UpstreamLease(this, state);
  }

  /** Milliseconds until the key cools down, 0 when it does not. */
  long cooldownRemainingMs(ProviderKeyState state, long nowMs) {
    return Math.max(0, state.cooldownUntilMs - nowMs);
  }

  /**
   * The health reports due for the next flush batch (see {@link ProviderHealthReporter}): what this
   * data plane's circuit, 429 cooldown and errors in a row are for each key it routed to. Runs on
   * the flusher's thread; the snapshot of a key is read without stopping the event loops, so it may
   * be a moment old, and the next batch carries what changed since.
   */
  @Override
  public List<ProviderKeyHealthReport> reportsDue(long nowMs) {
    List<ProviderKeyHealthReport> due = new ArrayList<>();
    for (ProviderKeyState state : states.values()) {
      long cooldownUntil = state.cooldownUntilMs > nowMs ? state.cooldownUntilMs : 0;
      ProviderKeyHealthReport now =
          ProviderKeyHealthReport.newBuilder()
              .setProviderKeyId(state.id)
              .setCircuitState(
                  switch (state.circuitState()) {
                    case ProviderKeyState.OPEN -> CircuitState.CIRCUIT_STATE_OPEN;
                    case ProviderKeyState.HALF_OPEN -> CircuitState.CIRCUIT_STATE_HALF_OPEN;
                    default -> CircuitState.CIRCUIT_STATE_CLOSED;
                  })
              .setCooldownUntilUnixMs(cooldownUntil)
              .setConsecutiveFailures(state.consecutiveFailures.get())
              .build();
      ProviderKeyHealthReport last = state.lastReport;
      boolean resting =
          now.getCircuitState() != CircuitState.CIRCUIT_STATE_CLOSED || cooldownUntil > 0;
      boolean changed =
          last == null
              ? resting || now.getConsecutiveFailures() > 0
              : !now.equals(last.toBuilder().setObservedAtUnixMs(0).build());
      boolean refresh = resting && last != null && nowMs - last.getObservedAtUnixMs() >= REFRESH_MS;
      if (changed || refresh) {
        ProviderKeyHealthReport report = now.toBuilder().setObservedAtUnixMs(nowMs).build();
        state.lastReport = report;
        due.add(report);
      }
    }
    return due;
  }

  /** Counts a failover to another provider key ({@code tollgate_upstream_failovers_total}). */
  public void failedOver(String reason) {
    failovers
        .computeIfAbsent(
            reason,
            r ->
                Counter.builder("tollgate.upstream.failovers")
                    .description("Requests retried on another provider key, by the error retried")
                    .tag("reason", r)
                    .register(registry))
        .increment();
  }

  void throttled(ProviderKeyState state, Classification classification) {
    long now = System.currentTimeMillis();
    long cooldown = classification.cooldownMs();
    if (cooldown <= 0) {
      cooldown =
          classification.throttle() == Throttle.CONCURRENCY
              ? settings.concurrencyCooldown().toMillis()
              : settings.defaultCooldown().toMillis();
    }
    cooldown = Math.min(cooldown, settings.maxCooldown().toMillis());
    long until = now + cooldown;
    if (until > state.cooldownUntilMs) {
      state.cooldownUntilMs = until;
    }
    state.last429Ms = now;
    String kind = classification.throttle().wireName;
    throttles
        .computeIfAbsent(
            state.id + "/" + kind,
            k ->
                Counter.builder("tollgate.upstream.throttled")
                    .description("Upstream 429 answers, by provider key and classified kind")
                    .tag("provider_key", Long.toString(state.id))
                    .tag("kind", kind)
                    .register(registry))
        .increment();
    throttleListener.throttled(state, classification.throttle());
  }

  void refused(ProviderKeyState state, int status) {
    long now = System.currentTimeMillis();
    state.refusedCopy = state.config;
    state.outUntilMs = now + settings.authFailureCooldown().toMillis();
    Counter.builder("tollgate.upstream.auth.failures")
        .description("Upstream 401/403 answers that took a provider key out of service")
        .tag("provider_key", Long.toString(state.id))
        .register(registry)
        .increment();
    Long last = lastAuthLogMs.get(state.id);
    if (last == null || now - last >= AUTH_LOG_INTERVAL_MS) {
      lastAuthLogMs.put(state.id, now);
      LOG.warnf(
          "Provider key %d was refused by its upstream (%d): out of service for %s or until its"
              + " configuration changes",
          state.id, status, settings.authFailureCooldown());
    }
  }
}
