package dev.tollgate.controlplane.usage;

import static dev.tollgate.controlplane.usage.UsageFixtures.batch;
import static dev.tollgate.controlplane.usage.UsageFixtures.counters;
import static dev.tollgate.controlplane.usage.UsageFixtures.keyDelta;
import static dev.tollgate.controlplane.usage.UsageFixtures.providerDelta;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.proto.usage.v1.ErrorEvent;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.UsageBucket;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class FlushCoalescerTest {

  @Inject FlushCoalescer coalescer;
  @Inject AgroalDataSource dataSource;

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
            new FlushRepository.Outcome(false, 1), new FlushRepository.Outcome(false, 7));
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
  void aFailingBatchFailsAloneAndTheOthersOfItsRoundAreAppliedOnce() throws Exception {
    // Given a valid batch and one naming a key that does not exist, in one round
    long key = fixtures.keys(user, 1)[0];
    FlushRequest good = spreadBatch(first, 1, key, 2, "req-good");
    FlushRequest bad =
        batch(second, 1)
            .addKeyDeltas(keyDelta(Long.MAX_VALUE - 1, counters(1, 1, 1, 1), 0))
            .build();
    CompletableFuture<FlushRepository.Outcome> goodAnswer = new CompletableFuture<>();
    CompletableFuture<FlushRepository.Outcome> badAnswer = new CompletableFuture<>();

    // When the round is applied
    coalescer.applyRound(
        List.of(
            new FlushCoalescer.Queued(good, goodAnswer),
            new FlushCoalescer.Queued(bad, badAnswer)));

    // Then the bad one is refused naming the key, the good one applied exactly once
    assertThat(goodAnswer.get(10, TimeUnit.SECONDS))
        .isEqualTo(new FlushRepository.Outcome(false, 1));
    assertThat(badAnswer)
        .failsWithin(10, TimeUnit.SECONDS)
        .withThrowableOfType(ExecutionException.class)
        .havingCause()
        .isInstanceOf(InvalidFlushException.class)
        .withMessageContaining(Long.toString(Long.MAX_VALUE - 1));
    assertThat(fixtures.counters("api_key", key)).containsExactly(2, 2, 0, 20, 4, 24);
    assertThat(
            fixtures.scalar(
                "SELECT count(*) FROM flush_ledger WHERE dp_instance_id = '" + second + "'"))
        .isZero();
    assertThat(fixtures.scalar("SELECT count(*) FROM error_event WHERE request_id = 'req-good'"))
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
            new FlushRepository.Outcome(true, 1), new FlushRepository.Outcome(false, 2));
    assertThat(twice)
        .containsExactly(
            new FlushRepository.Outcome(true, 2), new FlushRepository.Outcome(true, 2));
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
    assertThat(outcome).isEqualTo(new FlushRepository.Outcome(false, 3));
    assertThat(fixtures.counters("api_key", key)).containsExactly(2, 2, 0, 20, 4, 24);
  }

  /** Applies the batches in one round and returns their outcomes, failing on any failure. */
  private List<FlushRepository.Outcome> round(FlushRequest... batches) throws Exception {
    List<FlushCoalescer.Queued> round =
        java.util.Arrays.stream(batches)
            .map(b -> new FlushCoalescer.Queued(b, new CompletableFuture<>()))
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
