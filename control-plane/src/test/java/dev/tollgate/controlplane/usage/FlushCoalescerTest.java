package dev.tollgate.controlplane.usage;

import static dev.tollgate.controlplane.usage.UsageFixtures.batch;
import static dev.tollgate.controlplane.usage.UsageFixtures.counters;
import static dev.tollgate.controlplane.usage.UsageFixtures.keyDelta;
import static dev.tollgate.controlplane.usage.UsageFixtures.providerDelta;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.proto.usage.v1.CircuitState;
import dev.tollgate.proto.usage.v1.ErrorEvent;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.ProviderKeyHealthReport;
import dev.tollgate.proto.usage.v1.UsageBucket;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class FlushCoalescerTest {

  @Inject FlushCoalescer coalescer;
  @Inject AgroalDataSource dataSource;
  @Inject MeterRegistry meters;

  UsageFixtures fixtures;
  long user;
  long providerKey;
  String first;
  String second;
  long minute;

  @BeforeEach
  void setUp() throws Exception {
    fixtures = new UsageFixtures(dataSource);
    user = fixtures.user();
    providerKey = fixtures.providerKey(fixtures.group());
    first = "dp-" + UUID.randomUUID();
    second = "dp-" + UUID.randomUUID();
    minute = System.currentTimeMillis() / 60_000 * 60;
  }

  @Test
  void appliesTwoDataPlanesBatchesInOneTransactionEachUnderItsOwnLedgerRow() throws Exception {
    // Given two data planes that both used the same key and each had a failed request
    long key = fixtures.keys(user, 1)[0];
    FlushRequest a = spreadBatch(first, 1, key, 3, "req-a");
    FlushRequest b = spreadBatch(second, 7, key, 4, "req-b");

    // When one round applies both
    List<FlushRepository.Outcome> outcomes = round(a, b);

    // Then each is acknowledged with its own sequence, the key has both deltas, the tiers too
    assertThat(outcomes)
        .containsExactly(
            new FlushRepository.Outcome(false, 1, List.of()),
            new FlushRepository.Outcome(false, 7, List.of()));
    assertThat(fixtures.counters("api_key", key)).containsExactly(7, 7, 0, 70, 14, 84);
    assertThat(fixtures.counters("provider_key", providerKey)).containsExactly(7, 7, 0, 70, 14, 84);
    assertThat(fixtures.scalar("SELECT sum(requests) FROM usage_minute WHERE key_id = " + key))
        .isEqualTo(7);
    assertThat(fixtures.scalar("SELECT sum(requests) FROM usage_day WHERE key_id = " + key))
        .isEqualTo(7);
    // both ledger rows were written by one transaction
    assertThat(
            fixtures.scalar(
                "SELECT count(DISTINCT xmin::text) FROM flush_ledger WHERE dp_instance_id IN ('"
                    + first
                    + "', '"
                    + second
                    + "')"))
        .isEqualTo(1);
    // and each error event names the data plane that sent it
    assertThat(
            fixtures.scalar(
                "SELECT count(*) FROM error_event WHERE (request_id, dp_instance_id) IN (('req-a', '"
                    + first
                    + "'), ('req-b', '"
                    + second
                    + "'))"))
        .isEqualTo(2);
  }

  @Test
  void deadLettersOfABatchAreItsOwnAndTheOtherBatchOfItsRoundIsApplied() throws Exception {
    // Given a valid batch, and one naming a key that does not exist, carrying a bucket with a NUL
    // in its model and a health report of an unknown provider key next to a known one, in one round
    long key = fixtures.keys(user, 1)[0];
    long unknownKey = fixtures.scalar("SELECT coalesce(max(id), 0) + 1000 FROM api_key");
    long unknownProviderKey =
        fixtures.scalar("SELECT coalesce(max(id), 0) + 1000 FROM provider_key");
    long now = System.currentTimeMillis();
    FlushRequest good = spreadBatch(first, 4, key, 2, "req-good");
    FlushRequest bad =
        batch(second, 9)
            .addKeyDeltas(keyDelta(key, counters(1, 1, 1, 1), 0))
            .addKeyDeltas(keyDelta(unknownKey, counters(1, 1, 1, 1), 0))
            .addBuckets(
                UsageBucket.newBuilder()
                    .setBucketStartUnixS(minute)
                    .setKeyId(key)
                    .setModel("gpt\u0000x")
                    .setCounters(counters(1, 0, 0, 0)))
            .addProviderKeyHealth(health(providerKey, now))
            .addProviderKeyHealth(health(unknownProviderKey, now))
            .build();

    // When one round applies both
    List<FlushRepository.Outcome> outcomes = round(good, bad);

    // Then the good batch is applied whole with no dead letter, the bad one's known parts are
    // applied and its three dead letters are its own: in its outcome, and under its instance and
    // sequence, written once
    assertThat(outcomes.get(0)).isEqualTo(new FlushRepository.Outcome(false, 4, List.of()));
    assertThat(outcomes.get(1).duplicate()).isFalse();
    assertThat(outcomes.get(1).appliedSequence()).isEqualTo(9);
    assertThat(outcomes.get(1).deadLetters())
        .extracting(letter -> letter.part().name + "/" + letter.reason().name)
        .containsExactlyInAnyOrder(
            "key_delta/unknown_key", "bucket/invalid", "provider_key_health/unknown_provider_key");
    assertThat(fixtures.deadLetters(first)).isEmpty();
    assertThat(fixtures.deadLetters(second))
        .containsExactlyInAnyOrder(
            "key_delta/1/unknown_key: key_deltas[1].key_id "
                + unknownKey
                + " is not an api key of this control plane",
            "bucket/0/invalid: buckets[0].model contains the control character U+0000 at code"
                + " point 3",
            "provider_key_health/1/unknown_provider_key: provider_key_health[1].provider_key_id "
                + unknownProviderKey
                + " is not a provider key of this control plane");
    assertThat(
            fixtures.scalar(
                "SELECT count(*) FROM flush_dead_letter WHERE dp_instance_id = '"
                    + second
                    + "' AND sequence = 9"))
        .isEqualTo(3);
    // the key has both batches' known deltas, once
    assertThat(fixtures.counters("api_key", key)).containsExactly(3, 3, 0, 21, 5, 26);
    // the known provider key's health report is kept under the data plane that sent it
    assertThat(
            fixtures.scalar(
                "SELECT count(*) FROM provider_key_health WHERE provider_key_id = "
                    + providerKey
                    + " AND dp_instance_id = '"
                    + second
                    + "'"))
        .isEqualTo(1);
    assertThat(
            fixtures.scalar(
                "SELECT count(*) FROM provider_key_health WHERE dp_instance_id = '" + first + "'"))
        .isZero();
    // and both ledger rows were written by one transaction
    assertThat(
            fixtures.scalar(
                "SELECT count(DISTINCT xmin::text) FROM flush_ledger WHERE dp_instance_id IN ('"
                    + first
                    + "', '"
                    + second
                    + "')"))
        .isEqualTo(1);
  }

  @Test
  void aBatchTheDatabaseRefusesBreaksTheRoundAndIsDeadLetteredAloneTheOtherIsAppliedOnce()
      throws Exception {
    // Given a valid batch, and one whose provider key latency sum goes past bigint when added (the
    // database refuses the statement, which aborts the round's transaction), in one round
    long key = fixtures.keys(user, 1)[0];
    long otherKey = fixtures.keys(user, 1)[0];
    long fullProviderKey = fixtures.providerKey(fixtures.group());
    fixtures.scalar(
        "UPDATE provider_key SET latency_ms_sum = 9223372036854775000 WHERE id = "
            + fullProviderKey
            + " RETURNING 1");
    FlushRequest good = spreadBatch(first, 1, key, 2, "req-good");
    FlushRequest bad =
        batch(second, 5)
            .addKeyDeltas(keyDelta(otherKey, counters(1, 1, 1, 1), 0))
            .addProviderKeyDeltas(
                providerDelta(fullProviderKey, counters(1, 1, 1, 1)).toBuilder()
                    .setLatencyMsSum(10_000))
            .build();
    double fallbacks = fallbacks();

    // When the round is applied
    List<FlushRepository.Outcome> outcomes = round(good, bad);

    // Then the round fell back to one batch per transaction: the good batch is applied exactly
    // once, the bad one is recorded applied with both its parts apply_failed dead letters of its
    // own, and nothing of it counted
    assertThat(fallbacks()).isEqualTo(fallbacks + 1);
    assertThat(outcomes.get(0)).isEqualTo(new FlushRepository.Outcome(false, 1, List.of()));
    assertThat(outcomes.get(1).duplicate()).isFalse();
    assertThat(outcomes.get(1).appliedSequence()).isEqualTo(5);
    assertThat(outcomes.get(1).deadLetters()).hasSize(2);
    assertThat(fixtures.counters("api_key", key)).containsExactly(2, 2, 0, 20, 4, 24);
    assertThat(fixtures.counters("api_key", otherKey)).containsExactly(0, 0, 0, 0, 0, 0);
    assertThat(fixtures.deadLetters(first)).isEmpty();
    assertThat(fixtures.deadLetters(second))
        .hasSize(2)
        .allSatisfy(row -> assertThat(row).contains("/apply_failed: SQLSTATE 22003"));
    assertThat(
            fixtures.scalar(
                "SELECT count(*) FROM flush_dead_letter WHERE dp_instance_id = '"
                    + second
                    + "' AND sequence = 5"))
        .isEqualTo(2);
    assertThat(
            fixtures.scalar(
                "SELECT count(*) FROM error_event WHERE request_id = 'req-good'"
                    + " AND dp_instance_id = '"
                    + first
                    + "'"))
        .isEqualTo(1);
  }

  @Test
  void aBatchResentAfterItsRoundCommittedIsADuplicateInTheNextRoundAndInItsOwn() throws Exception {
    // Given a round that applied two data planes' batches (their answers lost on the way)
    long key = fixtures.keys(user, 1)[0];
    FlushRequest a = spreadBatch(first, 1, key, 3, "req-a1");
    FlushRequest b = spreadBatch(second, 1, key, 5, "req-b1");
    round(a, b);

    // When the first data plane resends its batch next to its next one's neighbour, and the
    // second resends its batch twice in one round
    FlushRequest next = spreadBatch(second, 2, key, 1, "req-b2");
    List<FlushRepository.Outcome> again = round(a, next);
    List<FlushRepository.Outcome> twice = round(b, b);

    // Then the resent batches are duplicates answered with the last applied sequence, the new one
    // is applied, and every count is in exactly once
    assertThat(again)
        .containsExactly(
            new FlushRepository.Outcome(true, 1, List.of()),
            new FlushRepository.Outcome(false, 2, List.of()));
    assertThat(twice)
        .containsExactly(
            new FlushRepository.Outcome(true, 2, List.of()),
            new FlushRepository.Outcome(true, 2, List.of()));
    assertThat(fixtures.counters("api_key", key)).containsExactly(9, 9, 0, 90, 18, 108);
    assertThat(fixtures.scalar("SELECT sum(requests) FROM usage_hour WHERE key_id = " + key))
        .isEqualTo(9);
    assertThat(
            fixtures.scalar(
                "SELECT count(*) FROM error_event WHERE request_id IN ('req-a1', 'req-b1')"))
        .isEqualTo(2);
  }

  @Test
  void aBatchHandedOverByAWorkerIsAppliedAndAnswered() throws Exception {
    // Given coalescing on (the default)
    long key = fixtures.keys(user, 1)[0];

    // When a batch goes through the public entry point
    FlushRepository.Outcome outcome = coalescer.apply(spreadBatch(first, 3, key, 2, "req-x"));

    // Then it is applied once
    assertThat(outcome).isEqualTo(new FlushRepository.Outcome(false, 3, List.of()));
    assertThat(fixtures.counters("api_key", key)).containsExactly(2, 2, 0, 20, 4, 24);
  }

  private static ProviderKeyHealthReport health(long providerKey, long observedAt) {
    return ProviderKeyHealthReport.newBuilder()
        .setProviderKeyId(providerKey)
        .setCircuitState(CircuitState.CIRCUIT_STATE_OPEN)
        .setCooldownUntilUnixMs(observedAt + 30_000)
        .setConsecutiveFailures(3)
        .setObservedAtUnixMs(observedAt)
        .build();
  }

  private double fallbacks() {
    return meters.counter("tollgate.flush.coalesced.fallbacks").count();
  }

  /** Applies the batches in one round and returns their outcomes, failing on any failure. */
  private List<FlushRepository.Outcome> round(FlushRequest... batches) throws Exception {
    List<FlushCoalescer.Queued> round =
        java.util.Arrays.stream(batches)
            .map(
                b ->
                    new FlushCoalescer.Queued(
                        b, FlushValidator.check(b), new CompletableFuture<>()))
            .toList();
    coalescer.applyRound(round);
    List<FlushRepository.Outcome> outcomes = new java.util.ArrayList<>();
    for (FlushCoalescer.Queued queued : round) {
      outcomes.add(queued.answer().get(10, TimeUnit.SECONDS));
    }
    return outcomes;
  }

  /** {@code requests} successful requests of {@code key} through the provider key, one failure. */
  private FlushRequest spreadBatch(
      String instance, long sequence, long key, long requests, String failedRequestId) {
    return batch(instance, sequence)
        .addKeyDeltas(keyDelta(key, counters(requests, requests, 10 * requests, 2 * requests), 0))
        .addProviderKeyDeltas(
            providerDelta(providerKey, counters(requests, requests, 10 * requests, 2 * requests)))
        .addBuckets(
            UsageBucket.newBuilder()
                .setBucketStartUnixS(minute)
                .setKeyId(key)
                .setProviderKeyId(providerKey)
                .setModel("gpt-4o-mini")
                .setCounters(counters(requests, requests, 10 * requests, 2 * requests))
                .setLatencyMsSum(5))
        .addErrors(
            ErrorEvent.newBuilder()
                .setOccurredAtUnixMs(minute * 1000)
                .setKeyId(key)
                .setModel("gpt-4o-mini")
                .setStatusCode(404)
                .setErrorClass("model_not_found")
                .setMessage("no group serves it")
                .setLatencyMs(1)
                .setRequestId(failedRequestId))
        .build();
  }
}
