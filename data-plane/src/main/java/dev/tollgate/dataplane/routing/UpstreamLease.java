package dev.tollgate.dataplane.routing;

import dev.tollgate.dataplane.upstream.UpstreamErrorClassifier;
import dev.tollgate.dataplane.upstream.UpstreamErrorClassifier.Classification;
import io.vertx.core.MultiMap;
import java.util.concurrent.TimeUnit;

/**
 * One try of one provider key: holds its in-flight slot and its circuit-breaker permission until
 * {@link #end}, and turns what the upstream did into health updates of the key.
 *
 * <p>Used by one request on one event loop; {@link #end} is idempotent so every way a try can stop
 * (answer relayed, failover, client gone) may call it.
 */
public final class UpstreamLease {

  private final ProviderKeyHealth health;
  private final ProviderKeyState state;
  private final long startNanos = System.nanoTime();
  private boolean outcomeRecorded;
  private boolean answeredOk;
  private boolean ended;

  UpstreamLease(ProviderKeyHealth health, ProviderKeyState state) {
    this.health = health;
    this.state = state;
  }

  /** provider_key.id of this try. */
  public long providerKeyId() {
    return state.id;
  }

  /**
   * The upstream answered with {@code status} and {@code headers}: classify it and apply the
   * consequence to the key (cooldown, take-out, circuit error, adaptive decrease).
   */
  public Classification answered(int status, MultiMap headers) {
    Classification classification =
        UpstreamErrorClassifier.classify(status, headers, System.currentTimeMillis());
    switch (classification.kind()) {
      case OK -> answeredOk = true;
      case FAILURE -> recordFailure(new UpstreamStatusException(status));
      case THROTTLED -> {
        releasePermission();
        health.throttled(state, classification);
      }
      case AUTH -> {
        releasePermission();
        health.refused(state, status);
      }
    }
    return classification;
  }

  /** The try failed before an answer (connect error, first-byte timeout): a circuit error. */
  public Classification failed(Throwable failure) {
    recordFailure(failure);
    return Classification.FAILURE;
  }

  /** The answer broke off after it started (reset, idle timeout): a circuit error. */
  public void failedMidStream(Throwable failure) {
    recordFailure(failure);
  }

  /**
   * The try is over. A 2xx or client error that was not reported as failed counts as a circuit
   * success; a try that never got an answer (the client went away) gives its permission back
   * without counting.
   */
  public void end() {
    if (ended) {
      return;
    }
    ended = true;
    long nanos = System.nanoTime() - startNanos;
    if (!outcomeRecorded) {
      if (answeredOk) {
        outcomeRecorded = true;
        state.breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
        state.consecutiveFailures.set(0);
      } else {
        releasePermission();
      }
    }
    state.inFlight.decrementAndGet();
    state.latency.record(nanos, TimeUnit.NANOSECONDS);
  }

  private void recordFailure(Throwable failure) {
    if (outcomeRecorded) {
      return;
    }
    outcomeRecorded = true;
    state.breaker.onError(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS, failure);
    state.consecutiveFailures.incrementAndGet();
  }

  private void releasePermission() {
    if (!outcomeRecorded) {
      outcomeRecorded = true;
      state.breaker.releasePermission();
    }
  }

  /** Recorded as the cause of a circuit error for a 5xx answer. */
  static final class UpstreamStatusException extends RuntimeException {
    UpstreamStatusException(int status) {
      super("upstream answered " + status, null, false, false);
    }
  }
}
