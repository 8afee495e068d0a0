package dev.tollgate.dataplane.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.dataplane.routing.ProviderKeyHealth.Availability;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.config.v1.Status;
import dev.tollgate.proto.usage.v1.CircuitState;
import dev.tollgate.proto.usage.v1.ProviderKeyHealthReport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProviderKeyHealthTest {

  private final DataPlaneConfig config =
      TestConfig.with(
          Map.of(
              "tollgate.routing.max-cooldown", "30s",
              "tollgate.routing.default-cooldown", "4s",
              "tollgate.routing.concurrency-cooldown", "500ms"));
  private final ProviderKeyHealth health = new ProviderKeyHealth(config, new SimpleMeterRegistry());

  private static ProviderKey key(long id, String secret, int maxConcurrent) {
    return ProviderKey.newBuilder()
        .setId(id)
        .setGroupId(1)
        .setBaseUrl("http://upstream/v1")
        .setSecret(secret)
        .setStatus(Status.STATUS_ACTIVE)
        .setMaxConcurrent(maxConcurrent)
        .build();
  }

  private static MultiMap headers(String... pairs) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < pairs.length; i += 2) {
      headers.add(pairs[i], pairs[i + 1]);
    }
    return headers;
  }

  private UpstreamLease answer(ProviderKeyState state, int status, MultiMap headers) {
    UpstreamLease lease = health.tryAcquire(state, System.currentTimeMillis());
    lease.answered(status, headers);
    lease.end();
    return lease;
  }

  @Test
  void coolsAKeyDownForTheHeadersResetButNeverLongerThanTheMaximum() {
    ProviderKeyState state = health.state(key(1, "s", 5));
    long now = System.currentTimeMillis();

    // When a 429 says the request window resets in 6 minutes
    answer(
        state,
        429,
        headers("x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "6m0s"));

    // Then the key rests for the 30 s maximum
    assertThat(health.availability(state, now + 1_000)).isEqualTo(Availability.COOLING);
    assertThat(health.cooldownRemainingMs(state, now)).isBetween(29_000L, 30_500L);
    assertThat(health.availability(state, now + 31_000)).isEqualTo(Availability.USABLE);
  }

  @Test
  void usesTheDefaultCooldownsWhenA429SaysNothing() {
    ProviderKeyState unknown = health.state(key(2, "s", 5));
    ProviderKeyState concurrency = health.state(key(3, "s", 5));
    long now = System.currentTimeMillis();

    answer(unknown, 429, headers());
    answer(
        concurrency,
        429,
        headers("x-ratelimit-remaining-requests", "9", "x-ratelimit-remaining-tokens", "900"));

    assertThat(health.cooldownRemainingMs(unknown, now)).isBetween(3_500L, 4_500L);
    assertThat(health.cooldownRemainingMs(concurrency, now)).isBetween(0L, 600L);
  }

  @Test
  void takesARefusedKeyOutUntilTheControlPlaneSendsAChangedCopy() {
    // Given a key refused with 403
    ProviderKey refused = key(4, "old-secret", 5);
    ProviderKeyState state = health.state(refused);
    answer(state, 403, headers());
    long now = System.currentTimeMillis();

    // Then it is out, also when the same copy is routed again
    assertThat(health.availability(health.state(refused), now)).isEqualTo(Availability.OUT);
    assertThat(health.availability(health.state(refused.toBuilder().build()), now))
        .isEqualTo(Availability.OUT);

    // And a copy with a new secret is back in at once
    assertThat(health.availability(health.state(key(4, "new-secret", 5)), now))
        .isEqualTo(Availability.USABLE);
  }

  @Test
  void refusesAKeyWhoseInFlightReachedItsFixedLimitAndFollowsAChangeOfThatLimitAtOnce() {
    ProviderKeyState state = health.state(key(5, "s", 2));
    long now = System.currentTimeMillis();
    UpstreamLease one = health.tryAcquire(state, now);
    UpstreamLease two = health.tryAcquire(state, now);

    assertThat(health.availability(state, now)).isEqualTo(Availability.FULL);
    health.state(key(5, "s", 3));
    assertThat(health.availability(state, now)).isEqualTo(Availability.USABLE);

    one.end();
    two.end();
    two.end();
    assertThat(state.inFlight.get()).isZero();
  }

  @Test
  void aClientThatLeavesBeforeTheAnswerNeitherOpensNorClosesTheCircuit() {
    ProviderKeyState state = health.state(key(6, "s", 100));
    for (int i = 0; i < 10; i++) {
      health.tryAcquire(state, System.currentTimeMillis()).end();
    }

    assertThat(state.breaker.getMetrics().getNumberOfBufferedCalls()).isZero();
    assertThat(state.circuitState()).isEqualTo(ProviderKeyState.CLOSED);
  }

  @Test
  void reportsAKeyWhoseCircuitOpenedThenRepeatsItOnlyEvery30Seconds() {
    // Given a key that failed 5 times in a row (the circuit opens at 50 % over 5 tries)
    ProviderKeyState state = health.state(key(7, "s", 100));
    ProviderKeyState quiet = health.state(key(8, "s", 100));
    for (int i = 0; i < 5; i++) {
      answer(state, 500, headers());
    }
    long now = System.currentTimeMillis();

    // When the flusher asks for the reports due now, a second later and 30 s later
    List<ProviderKeyHealthReport> first = health.reportsDue(now);
    List<ProviderKeyHealthReport> again = health.reportsDue(now + 1_000);
    List<ProviderKeyHealthReport> refreshed = health.reportsDue(now + 30_000);

    // Then the open circuit is reported once with its errors in a row, and again after 30 s; the
    // key that never failed is never reported
    assertThat(first)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getProviderKeyId()).isEqualTo(7);
              assertThat(r.getCircuitState()).isEqualTo(CircuitState.CIRCUIT_STATE_OPEN);
              assertThat(r.getConsecutiveFailures()).isEqualTo(5);
              assertThat(r.getCooldownUntilUnixMs()).isZero();
              assertThat(r.getObservedAtUnixMs()).isEqualTo(now);
            });
    assertThat(again).isEmpty();
    assertThat(refreshed).extracting(ProviderKeyHealthReport::getProviderKeyId).containsExactly(7L);
    assertThat(quiet.lastReport).isNull();
  }

  @Test
  void reportsA429CooldownAndOnceMoreWhenItHasEnded() {
    // Given a key resting 4 s after a 429 that said nothing
    ProviderKeyState state = health.state(key(9, "s", 100));
    answer(state, 429, headers());
    long now = System.currentTimeMillis();
    long until = state.cooldownUntilMs;

    // When reports are due now, during the cooldown and after it
    List<ProviderKeyHealthReport> cooling = health.reportsDue(now);
    List<ProviderKeyHealthReport> during = health.reportsDue(now + 1_000);
    List<ProviderKeyHealthReport> ended = health.reportsDue(until + 1);
    List<ProviderKeyHealthReport> later = health.reportsDue(until + 60_000);

    // Then the cooldown is reported, then its end once, then nothing
    assertThat(cooling)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getCircuitState()).isEqualTo(CircuitState.CIRCUIT_STATE_CLOSED);
              assertThat(r.getCooldownUntilUnixMs()).isEqualTo(until);
              assertThat(r.getConsecutiveFailures()).isZero();
            });
    assertThat(during).isEmpty();
    assertThat(ended)
        .singleElement()
        .satisfies(r -> assertThat(r.getCooldownUntilUnixMs()).isZero());
    assertThat(later).isEmpty();
  }

  @Test
  void aSuccessEndsTheErrorsInARow() {
    ProviderKeyState state = health.state(key(10, "s", 100));
    answer(state, 502, headers());
    answer(state, 503, headers());
    assertThat(state.consecutiveFailures.get()).isEqualTo(2);

    answer(state, 200, headers());

    assertThat(state.consecutiveFailures.get()).isZero();
  }
}
