package dev.tollgate.controlplane.usage;

import static dev.tollgate.controlplane.usage.UsageFixtures.batch;
import static dev.tollgate.controlplane.usage.UsageFixtures.counters;
import static dev.tollgate.controlplane.usage.UsageFixtures.keyDelta;
import static dev.tollgate.controlplane.usage.UsageFixtures.providerDelta;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.ErrorEvent;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.UsageBucket;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class UsageFlushServiceTest {

  @Inject UsageFlushService flushes;
  @Inject AgroalDataSource dataSource;
  @Inject MeterRegistry meters;

  UsageFixtures fixtures;
  long user;
  String instance;

  @BeforeEach
  void setUp() throws Exception {
    fixtures = new UsageFixtures(dataSource);
    user = fixtures.user();
    instance = "dp-" + UUID.randomUUID();
  }

  @Test
  void sendsKeysWithAQuotaAgainToTheDataPlanesWhenTheirQuotaUsedGrows() throws Exception {
    // Given a key with a quota, one without, and one with a quota that uses no tokens
    long[] keys = fixtures.keys(user, 3);
    fixtures.scalar(
        "UPDATE api_key SET quota_limit = 1000 WHERE id IN ("
            + keys[0]
            + ", "
            + keys[2]
            + ") RETURNING 1");
    long before = fixtures.scalar("SELECT revision FROM config_state WHERE id = 1");

    // When a batch adds tokens to the first two and only a failed request to the third
    flushes.apply(
        batch(instance, 1)
            .addKeyDeltas(keyDelta(keys[0], counters(1, 1, 10, 5), 1_700_000_000_000L))
            .addKeyDeltas(keyDelta(keys[1], counters(1, 1, 10, 5), 1_700_000_000_000L))
            .addKeyDeltas(keyDelta(keys[2], counters(1, 0, 0, 0), 1_700_000_000_000L))
            .build());

    // Then only the key whose quota_used moved against a limit carries a new revision, so the
    // config stream sends it (with its new quota_used) to every data plane
    long after = fixtures.scalar("SELECT revision FROM config_state WHERE id = 1");
    assertThat(after).isEqualTo(before + 1);
    assertThat(fixtures.scalar("SELECT config_revision FROM api_key WHERE id = " + keys[0]))
        .isEqualTo(after);
    assertThat(fixtures.scalar("SELECT config_revision FROM api_key WHERE id = " + keys[1]))
        .isZero();
    assertThat(fixtures.scalar("SELECT config_revision FROM api_key WHERE id = " + keys[2]))
        .isZero();
  }

  @Test
  void appliesDeltasToKeysProviderKeysAndRollsThemUpToGroups() throws Exception {
    // Given two groups, the first with two provider keys
    long groupA = fixtures.group();
    long groupB = fixtures.group();
    long pk1 = fixtures.providerKey(groupA);
    long pk2 = fixtures.providerKey(groupA);
    long pk3 = fixtures.providerKey(groupB);
    long[] keys = fixtures.keys(user, 2);

    // When one batch carries deltas for all of them
    flushes.apply(
        batch(instance, 1)
            .addKeyDeltas(keyDelta(keys[0], counters(5, 4, 100, 50), 1_700_000_000_000L))
            .addKeyDeltas(keyDelta(keys[1], counters(3, 3, 30, 9), 1_700_000_000_000L))
            .addProviderKeyDeltas(providerDelta(pk1, counters(4, 3, 80, 40)))
            .addProviderKeyDeltas(providerDelta(pk2, counters(2, 2, 20, 10)))
            .addProviderKeyDeltas(providerDelta(pk3, counters(2, 2, 30, 9)))
            .build());

    // Then every row has its own delta and each group the sum of its provider keys'
    assertThat(fixtures.counters("api_key", keys[0])).containsExactly(5, 4, 1, 100, 50, 150);
    assertThat(fixtures.counters("api_key", keys[1])).containsExactly(3, 3, 0, 30, 9, 39);
    assertThat(fixtures.counters("provider_key", pk1)).containsExactly(4, 3, 1, 80, 40, 120);
    assertThat(fixtures.counters("provider_group", groupA)).containsExactly(6, 5, 1, 100, 50, 150);
    assertThat(fixtures.counters("provider_group", groupB)).containsExactly(2, 2, 0, 30, 9, 39);
    assertThat(fixtures.scalar("SELECT quota_used FROM api_key WHERE id = " + keys[0]))
        .isEqualTo(150);
    assertThat(
            fixtures.scalar(
                "SELECT extract(epoch FROM last_accessed_at) * 1000 FROM api_key WHERE id = "
                    + keys[0]))
        .isEqualTo(1_700_000_000_000L);
  }

  @Test
  void ignoresABatchItHasAlreadyApplied() throws Exception {
    // Given batches 1 and 2 of one replica were applied
    long[] keys = fixtures.keys(user, 1);
    FlushRequest first =
        batch(instance, 1).addKeyDeltas(keyDelta(keys[0], counters(2, 2, 1, 1), 0)).build();
    FlushRequest second = first.toBuilder().setSequence(2).build();
    assertThat(flushes.apply(first).duplicate()).isFalse();
    assertThat(flushes.apply(second).duplicate()).isFalse();

    // When the latest batch and an older one arrive again
    FlushRepository.Outcome again = flushes.apply(second);
    FlushRepository.Outcome older = flushes.apply(first);

    // Then nothing is counted twice and the ledger reports the applied sequence
    assertThat(again.duplicate()).isTrue();
    assertThat(again.appliedSequence()).isEqualTo(2);
    assertThat(older.duplicate()).isTrue();
    assertThat(fixtures.counters("api_key", keys[0])).containsExactly(4, 4, 0, 2, 2, 4);

    // And the next sequence is applied
    flushes.apply(first.toBuilder().setSequence(3).build());
    assertThat(fixtures.counters("api_key", keys[0])).containsExactly(6, 6, 0, 3, 3, 6);
  }

  @Test
  void appliesTheValidPartsAndDeadLettersADeltaWithMoreSuccessesThanRequests() throws Exception {
    // Given a batch whose second delta claims more successes than requests
    long[] keys = fixtures.keys(user, 2);
    Counters impossible = Counters.newBuilder().setRequests(1).setSuccessRequests(2).build();
    FlushRequest bad =
        batch(instance, 1)
            .addKeyDeltas(keyDelta(keys[0], counters(1, 1, 1, 1), 0))
            .addKeyDeltas(keyDelta(keys[1], impossible, 0))
            .build();

    // When it is applied
    FlushRepository.Outcome outcome = flushes.apply(bad);

    // Then the valid delta counts, the other is kept as a dead letter naming the field, and the
    // batch is recorded as applied
    assertThat(outcome.duplicate()).isFalse();
    assertThat(outcome.deadLetters()).hasSize(1);
    assertThat(fixtures.counters("api_key", keys[0])).containsExactly(1, 1, 0, 1, 1, 2);
    assertThat(fixtures.counters("api_key", keys[1])).containsExactly(0, 0, 0, 0, 0, 0);
    assertThat(fixtures.deadLetters(instance))
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .startsWith("key_delta/1/invalid: key_deltas[1].counters")
        .contains("exceeds requests");
    assertThat(
            fixtures.scalar(
                "SELECT last_sequence FROM flush_ledger WHERE dp_instance_id = '" + instance + "'"))
        .isEqualTo(1);
  }

  @Test
  void deadLettersNegativeCounts() throws Exception {
    long[] keys = fixtures.keys(user, 1);
    Counters negative = Counters.newBuilder().setRequests(1).setPromptTokens(-5).build();
    flushes.apply(batch(instance, 1).addKeyDeltas(keyDelta(keys[0], negative, 0)).build());
    assertThat(fixtures.deadLetters(instance))
        .containsExactly(
            "key_delta/0/invalid: key_deltas[0].counters.prompt_tokens must not be negative");
    assertThat(fixtures.counters("api_key", keys[0])).containsExactly(0, 0, 0, 0, 0, 0);
  }

  @Test
  void refusesAnInvalidEnvelopeWholeAndRecordsNothing() {
    long[] keys = {1};
    for (FlushRequest bad :
        List.of(
            batch("", 1).addKeyDeltas(keyDelta(keys[0], counters(1, 1, 1, 1), 0)).build(),
            batch("dp-\u0000", 1).addKeyDeltas(keyDelta(keys[0], counters(1, 1, 1, 1), 0)).build(),
            batch(instance, 0).addKeyDeltas(keyDelta(keys[0], counters(1, 1, 1, 1), 0)).build())) {
      assertThatThrownBy(() -> flushes.apply(bad))
          .isInstanceOf(InvalidFlushException.class)
          .hasMessageMatching("(dp_instance_id|sequence) .*");
    }
  }

  @Test
  void appliesTheRestOfABatchNamingAnUnknownKeyAndDeadLettersWhatNamesIt() throws Exception {
    // Given a batch with one real key, one real provider key and one key that does not exist (e.g.
    // a key that vanished between a request and its flush), named by a delta, a bucket and an error
    long group = fixtures.group();
    long pk = fixtures.providerKey(group);
    long[] keys = fixtures.keys(user, 1);
    long unknown = fixtures.scalar("SELECT coalesce(max(id), 0) + 1000 FROM api_key");
    FlushRequest bad =
        batch(instance, 1)
            .addKeyDeltas(keyDelta(keys[0], counters(1, 1, 1, 1), 0))
            .addKeyDeltas(keyDelta(unknown, counters(1, 1, 1, 1), 0))
            .addProviderKeyDeltas(providerDelta(pk, counters(2, 2, 2, 2)))
            .addBuckets(bucket(1_700_000_040L, unknown, pk, "gpt-4o-mini", counters(1, 1, 1, 1)))
            .addBuckets(bucket(1_700_000_040L, keys[0], pk, "gpt-4o-mini", counters(1, 1, 1, 1)))
            .addErrors(
                ErrorEvent.newBuilder()
                    .setOccurredAtUnixMs(1_700_000_040_000L)
                    .setKeyId(unknown)
                    .setStatusCode(502)
                    .setErrorClass("upstream_5xx"))
            .build();

    // When it is applied
    FlushRepository.Outcome outcome = flushes.apply(bad);

    // Then everything naming the known ids is applied, the parts naming the unknown key are kept
    assertThat(outcome.duplicate()).isFalse();
    assertThat(fixtures.counters("api_key", keys[0])).containsExactly(1, 1, 0, 1, 1, 2);
    assertThat(fixtures.counters("provider_key", pk)).containsExactly(2, 2, 0, 2, 2, 4);
    assertThat(fixtures.counters("provider_group", group)).containsExactly(2, 2, 0, 2, 2, 4);
    assertThat(fixtures.scalar("SELECT count(*) FROM usage_minute WHERE key_id = " + keys[0]))
        .isEqualTo(1);
    assertThat(fixtures.scalar("SELECT count(*) FROM usage_minute WHERE key_id = " + unknown))
        .isZero();
    assertThat(fixtures.scalar("SELECT count(*) FROM error_event WHERE key_id = " + unknown))
        .isZero();
    assertThat(fixtures.deadLetters(instance))
        .containsExactlyInAnyOrder(
            "key_delta/1/unknown_key: key_deltas[1].key_id "
                + unknown
                + " is not an api key of this control plane",
            "bucket/0/unknown_key: buckets[0].key_id "
                + unknown
                + " is not an api key of this control plane",
            "error/0/unknown_key: errors[0].key_id "
                + unknown
                + " is not an api key of this control plane");
  }

  @Test
  void deadLettersABucketNamingAnUnknownProviderKey() throws Exception {
    long[] keys = fixtures.keys(user, 1);
    long unknown = fixtures.scalar("SELECT coalesce(max(id), 0) + 1000 FROM provider_key");
    FlushRequest bad =
        batch(instance, 1)
            .addKeyDeltas(keyDelta(keys[0], counters(1, 1, 1, 1), 0))
            .addBuckets(
                bucket(1_700_000_040L, keys[0], unknown, "gpt-4o-mini", counters(1, 1, 1, 1)))
            .build();

    assertThat(flushes.apply(bad).deadLetters()).hasSize(1);
    assertThat(fixtures.deadLetters(instance))
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .startsWith("bucket/0/unknown_provider_key: buckets[0].provider_key_id " + unknown);
    assertThat(fixtures.counters("api_key", keys[0])).containsExactly(1, 1, 0, 1, 1, 2);
  }

  @Test
  void neverLetsANulInAModelReachPostgresqlAndKeepsTheItemEscaped() throws Exception {
    // Given a bucket and an error whose model carries a NUL, next to a clean bucket
    long[] keys = fixtures.keys(user, 1);
    FlushRequest bad =
        batch(instance, 1)
            .addKeyDeltas(keyDelta(keys[0], counters(2, 1, 1, 1), 0))
            .addBuckets(bucket(1_700_000_040L, keys[0], 0, "gpt\u0000x", counters(1, 0, 0, 0)))
            .addBuckets(bucket(1_700_000_040L, keys[0], 0, "gpt-4o-mini", counters(1, 1, 1, 1)))
            .addErrors(
                ErrorEvent.newBuilder()
                    .setOccurredAtUnixMs(1_700_000_040_000L)
                    .setKeyId(keys[0])
                    .setModel("gpt\u0000x")
                    .setStatusCode(404)
                    .setErrorClass("model_not_found")
                    .setMessage("line one\nline two"))
            .build();

    // When it is applied
    FlushRepository.Outcome outcome = flushes.apply(bad);

    // Then the clean parts count, and the two others are dead letters whose raw item keeps the NUL
    // as an escape
    assertThat(outcome.deadLetters()).hasSize(2);
    assertThat(fixtures.counters("api_key", keys[0])).containsExactly(2, 1, 1, 1, 1, 2);
    assertThat(fixtures.scalar("SELECT count(*) FROM usage_minute WHERE key_id = " + keys[0]))
        .isEqualTo(1);
    assertThat(fixtures.deadLetters(instance))
        .containsExactly(
            "bucket/0/invalid: buckets[0].model contains the control character U+0000 at code"
                + " point 3",
            "error/0/invalid: errors[0].model contains the control character U+0000 at code"
                + " point 3");
    assertThat(
            fixtures.scalar(
                "SELECT count(*) FROM flush_dead_letter WHERE dp_instance_id = '"
                    + instance
                    + "' AND part = 'bucket' AND position('gpt\\u0000x' in item) > 0"))
        .isEqualTo(1);
  }

  @Test
  void keepsEveryPartOfABatchTheDatabaseRefusesAndRecordsItApplied() throws Exception {
    // Given a batch that passes every rule but that the database refuses: a latency sum past
    // bigint when added to what the provider key already has
    long group = fixtures.group();
    long pk = fixtures.providerKey(group);
    long[] keys = fixtures.keys(user, 1);
    fixtures.scalar(
        "UPDATE provider_key SET latency_ms_sum = 9223372036854775000 WHERE id = "
            + pk
            + " RETURNING 1");
    FlushRequest refused =
        batch(instance, 1)
            .addKeyDeltas(keyDelta(keys[0], counters(1, 1, 1, 1), 0))
            .addProviderKeyDeltas(
                providerDelta(pk, counters(1, 1, 1, 1)).toBuilder().setLatencyMsSum(10_000))
            .build();

    // When it is applied
    FlushRepository.Outcome outcome = flushes.apply(refused);

    // Then nothing of it is applied, both parts are dead letters, and the next batch goes through
    assertThat(outcome.duplicate()).isFalse();
    assertThat(outcome.deadLetters()).hasSize(2);
    assertThat(fixtures.counters("api_key", keys[0])).containsExactly(0, 0, 0, 0, 0, 0);
    assertThat(fixtures.deadLetters(instance))
        .hasSize(2)
        .allSatisfy(row -> assertThat(row).contains("/apply_failed: SQLSTATE 22003"));
    flushes.apply(
        batch(instance, 2).addKeyDeltas(keyDelta(keys[0], counters(1, 1, 1, 1), 0)).build());
    assertThat(fixtures.counters("api_key", keys[0])).containsExactly(1, 1, 0, 1, 1, 2);
  }

  @Test
  void lastAccessedAtNeverMovesBackwards() throws Exception {
    long[] keys = fixtures.keys(user, 1);
    flushes.apply(
        batch(instance, 1)
            .addKeyDeltas(keyDelta(keys[0], counters(1, 1, 0, 0), 2_000_000_000_000L))
            .build());

    flushes.apply(
        batch(instance, 2)
            .addKeyDeltas(keyDelta(keys[0], counters(1, 1, 0, 0), 1_000_000_000_000L))
            .build());

    assertThat(
            fixtures.scalar(
                "SELECT extract(epoch FROM last_accessed_at) * 1000 FROM api_key WHERE id = "
                    + keys[0]))
        .isEqualTo(2_000_000_000_000L);
  }

  @Test
  void sumsRepeatedIdsWithinOneBatch() throws Exception {
    long group = fixtures.group();
    long pk = fixtures.providerKey(group);
    long[] keys = fixtures.keys(user, 1);

    flushes.apply(
        batch(instance, 1)
            .addKeyDeltas(keyDelta(keys[0], counters(1, 1, 10, 1), 0))
            .addKeyDeltas(keyDelta(keys[0], counters(2, 1, 20, 2), 0))
            .addProviderKeyDeltas(providerDelta(pk, counters(1, 1, 10, 1)))
            .addProviderKeyDeltas(providerDelta(pk, counters(2, 1, 20, 2)))
            .addBuckets(bucket(1_700_000_040L, keys[0], pk, "gpt-4o-mini", counters(1, 1, 10, 1)))
            .addBuckets(bucket(1_700_000_040L, keys[0], pk, "gpt-4o-mini", counters(2, 1, 20, 2)))
            .build());

    assertThat(fixtures.counters("api_key", keys[0])).containsExactly(3, 2, 1, 30, 3, 33);
    assertThat(fixtures.counters("provider_key", pk)).containsExactly(3, 2, 1, 30, 3, 33);
    assertThat(fixtures.counters("provider_group", group)).containsExactly(3, 2, 1, 30, 3, 33);
    assertThat(
            fixtures.scalar(
                "SELECT requests * 1000 + total_tokens FROM usage_minute WHERE key_id = "
                    + keys[0]))
        .isEqualTo(3 * 1000 + 33);
  }

  @Test
  void accumulatesMinuteBucketsAndStoresErrorEvents() throws Exception {
    // Given a key and a provider key
    long group = fixtures.group();
    long pk = fixtures.providerKey(group);
    long[] keys = fixtures.keys(user, 1);
    long minute = 1_700_000_040L;

    // When two batches hit the same bucket, and one carries an error event
    flushes.apply(
        batch(instance, 1)
            .addBuckets(bucket(minute, keys[0], pk, "gpt-4o-mini", counters(2, 1, 10, 5)))
            .addBuckets(bucket(minute, keys[0], 0, "unknown-model", counters(1, 0, 0, 0)))
            .addErrors(
                ErrorEvent.newBuilder()
                    .setOccurredAtUnixMs(minute * 1000)
                    .setKeyId(keys[0])
                    .setModel("unknown-model")
                    .setStatusCode(404)
                    .setErrorClass("model_not_found")
                    .setMessage("no group serves unknown-model")
                    .setLatencyMs(1)
                    .setRequestId("req-1"))
            .setErrorsDropped(3)
            .build());
    flushes.apply(
        batch(instance, 2)
            .addBuckets(bucket(minute, keys[0], pk, "gpt-4o-mini", counters(1, 1, 4, 4)))
            .build());

    // Then the bucket holds the sum, the event is stored with no provider key, drops are counted
    assertThat(
            fixtures.scalar(
                "SELECT requests * 1000 + total_tokens FROM usage_minute WHERE key_id = "
                    + keys[0]
                    + " AND provider_key_id = "
                    + pk))
        .isEqualTo(3 * 1000 + 23);
    assertThat(
            fixtures.scalar(
                "SELECT count(*) FROM error_event WHERE key_id = "
                    + keys[0]
                    + " AND provider_key_id IS NULL AND status_code = 404"))
        .isEqualTo(1);
    assertThat(
            fixtures.scalar(
                "SELECT errors_dropped FROM flush_ledger WHERE dp_instance_id = '"
                    + instance
                    + "'"))
        .isEqualTo(3);
  }

  @Test
  void concurrentBatchesOnTheSameKeysApplyWithoutADeadlockReachingTheCaller() throws Exception {
    // Given 300 keys and 3 provider keys in one group, and 6 replicas flushing deltas and buckets
    // for all of them in different orders at the same time
    long group = fixtures.group();
    long[] pks = {
      fixtures.providerKey(group), fixtures.providerKey(group), fixtures.providerKey(group)
    };
    long[] keys = fixtures.keys(user, 300);
    int replicas = 6;
    int batchesEach = 10;
    ExecutorService pool = Executors.newFixedThreadPool(replicas);
    List<Future<?>> results = new ArrayList<>();
    double retriesBefore = retries();

    // When
    for (int r = 0; r < replicas; r++) {
      String replica = instance + "-" + r;
      results.add(
          pool.submit(
              () -> {
                for (int seq = 1; seq <= batchesEach; seq++) {
                  List<Long> order = new ArrayList<>();
                  for (long key : keys) {
                    order.add(key);
                  }
                  Collections.shuffle(order);
                  FlushRequest.Builder b = batch(replica, seq);
                  for (long key : order) {
                    b.addKeyDeltas(keyDelta(key, counters(1, 1, 2, 3), 0));
                    // Every replica also writes the same minute's buckets, so the usage tiers'
                    // shared rows (the whole installation, the user, the group) are contended too
                    b.addBuckets(
                        bucket(
                            1_700_000_040L,
                            key,
                            pks[(int) (key % pks.length)],
                            "gpt-4o-mini",
                            counters(1, 1, 2, 3)));
                  }
                  for (int i = pks.length - 1; i >= 0; i--) {
                    b.addProviderKeyDeltas(providerDelta(pks[i], counters(100, 100, 200, 300)));
                  }
                  flushes.apply(b.build());
                }
                return null;
              }));
    }

    // Then every batch succeeds and every count is there exactly once
    for (Future<?> result : results) {
      result.get();
    }
    pool.shutdown();
    long perKey = (long) replicas * batchesEach;
    for (long key : new long[] {keys[0], keys[150], keys[299]}) {
      assertThat(fixtures.counters("api_key", key))
          .containsExactly(perKey, perKey, 0, 2 * perKey, 3 * perKey, 5 * perKey);
    }
    assertThat(fixtures.scalar("SELECT sum(requests) FROM api_key WHERE user_id = " + user))
        .isEqualTo(300 * perKey);
    assertThat(fixtures.counters("provider_group", group)[0]).isEqualTo(3 * 100 * perKey);
    assertThat(
            fixtures.scalar(
                "SELECT requests FROM usage_scope_hour WHERE scope = 'user' AND subject = '"
                    + user
                    + "'"))
        .isEqualTo(300 * perKey);
    // And no flush ever waited on another in a cycle: rows are locked in id order
    assertThat(retries() - retriesBefore).as("deadlock retries").isZero();
  }

  private double retries() {
    return meters.find("tollgate.flush.retries").counters().stream()
        .mapToDouble(c -> c.count())
        .sum();
  }

  private static UsageBucket bucket(
      long startSeconds, long key, long providerKey, String model, Counters counters) {
    return UsageBucket.newBuilder()
        .setBucketStartUnixS(startSeconds)
        .setKeyId(key)
        .setProviderKeyId(providerKey)
        .setModel(model)
        .setCounters(counters)
        .setLatencyMsSum(7)
        .build();
  }
}
