package dev.tollgate.dataplane.routing;

import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.usage.v1.ProviderKeyHealthReport;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What this data plane knows about one provider key's health and load: its circuit breaker, the
 * requests it has in flight here, a 429 cooldown, an auth take-out, and the learned concurrency
 * limit with the in-flight count of the other data planes (both refreshed from Redis by {@link
 * AdaptiveConcurrency}).
 *
 * <p>Thread-safe: read and written from any event loop. Fields are volatile or atomic; the few
 * read-modify-write sequences that are not atomic (cooldown extension) are benign races where the
 * last writer wins a value that is equally valid.
 */
final class ProviderKeyState {

  /** Circuit state as the gauge reports it. */
  static final int CLOSED = 0;

  static final int HALF_OPEN = 1;
  static final int OPEN = 2;

  final long id;
  final CircuitBreaker breaker;
  final AtomicInteger inFlight = new AtomicInteger();
  final Timer latency;

  /** The newest config copy routed to; the sync reads limits and reset times from it. */
  volatile ProviderKey config;

  /** Local clock, ms: not chosen before this (a 429 cooldown). */
  volatile long cooldownUntilMs;

  /** Local clock, ms: taken out after a 401/403 until then, or until the config copy changes. */
  volatile long outUntilMs;

  /** The config copy that was refused; a different copy (new secret, new URL) ends the take-out. */
  volatile ProviderKey refusedCopy;

  /** The learned limit in force here; 0 until known (then the initial limit applies). */
  volatile int learnedLimit;

  /** Requests the other data planes had in flight with this key at the last sync. */
  volatile int remoteInFlight;

  /** Local clock, ms: the last time a request was sent with this key. */
  volatile long lastUsedMs;

  /** Local clock, ms: the last upstream 429 seen here (fallback rules while Redis is down). */
  volatile long last429Ms;

  /** Local clock, ms: the last decrease made here (fallback rules). */
  volatile long lastDecreaseMs;

  /** Local clock, ms: the last increase or probe made here (fallback rules). */
  volatile long lastIncreaseMs;

  /** learning_reset_at_unix_ms this data plane has already applied. */
  volatile long resetAppliedAtMs;

  /** Circuit errors in a row since the last circuit success. */
  final AtomicInteger consecutiveFailures = new AtomicInteger();

  /** The health last reported to the control plane, null if none (the flusher's thread only). */
  ProviderKeyHealthReport lastReport;

  /** Utilisation samples, written only by the sync (one timer, never concurrent). */
  final double[] samples;

  int sampleCount;
  int sampleNext;

  ProviderKeyState(
      ProviderKey config, CircuitBreaker breaker, Timer latency, int sampleWindow, long nowMs) {
    this.id = config.getId();
    this.config = config;
    this.breaker = breaker;
    this.latency = latency;
    this.samples = new double[sampleWindow];
    this.lastIncreaseMs = nowMs;
    this.resetAppliedAtMs = config.getLearningResetAtUnixMs();
  }

  /** Whether the key learns its limit (max_concurrent 0). */
  boolean adaptive() {
    return config.getMaxConcurrent() <= 0;
  }

  /** The limit in force: the operator's fixed one at once, else the learned (or initial) one. */
  int limit(int initialLimit) {
    ProviderKey current = config;
    if (current.getMaxConcurrent() > 0) {
      return current.getMaxConcurrent();
    }
    int learned = learnedLimit;
    if (learned > 0) {
      return learned;
    }
    return current.getLearnedMaxConcurrent() > 0 ? current.getLearnedMaxConcurrent() : initialLimit;
  }

  /** Requests in flight with this key across data planes, as far as this one knows. */
  int totalInFlight() {
    return inFlight.get() + remoteInFlight;
  }

  int circuitState() {
    return switch (breaker.getState()) {
      case CLOSED, DISABLED, METRICS_ONLY -> CLOSED;
      case HALF_OPEN -> HALF_OPEN;
      default -> OPEN;
    };
  }

  void clearSamples() {
    synchronized (samples) {
      sampleCount = 0;
      sampleNext = 0;
    }
  }

  void addSample(double utilisation) {
    synchronized (samples) {
      samples[sampleNext] = utilisation;
      sampleNext = (sampleNext + 1) % samples.length;
      sampleCount = Math.min(samples.length, sampleCount + 1);
    }
  }

  /** Whether at least {@code minimum} samples are kept and {@code share} of them are high. */
  boolean sustainedHigh(int minimum, double high, double share) {
    synchronized (samples) {
      if (sampleCount < minimum) {
        return false;
      }
      int highCount = 0;
      for (int i = 0; i < sampleCount; i++) {
        if (samples[i] >= high) {
          highCount++;
        }
      }
      return highCount >= share * sampleCount;
    }
  }

  /** Whether any kept sample saw a request in flight (a probe needs demand to learn from). */
  boolean hadDemand() {
    synchronized (samples) {
      for (int i = 0; i < sampleCount; i++) {
        if (samples[i] > 0) {
          return true;
        }
      }
      return false;
    }
  }
}
