package dev.tollgate.dataplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.upstream.TokenUsage;
import dev.tollgate.dataplane.usage.UpstreamAttempt.Throttle;
import dev.tollgate.proto.usage.v1.AdjustmentReason;
import dev.tollgate.proto.usage.v1.ConcurrencyAdjustment;
import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.KeyDelta;
import dev.tollgate.proto.usage.v1.ProviderKeyDelta;
import dev.tollgate.proto.usage.v1.ThrottleKind;
import dev.tollgate.proto.usage.v1.UsageBucket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class InMemoryUsageMeterTest {

  private static RequestOutcome outcome(long keyId, boolean success, long prompt, long completion) {
    return new RequestOutcome(
        keyId,
        success ? 100 : 0,
        "gpt-4o-mini",
        "gpt-4o-mini",
        success ? 200 : 500,
        success,
        new TokenUsage(prompt, completion, prompt + completion),
        false,
        1_732_233_600_123L,
        7,
        success ? null : "upstream_500",
        success ? null : "boom",
        "req-" + keyId,
        success
            ? List.of(new UpstreamAttempt(100, 200, true, 5, Throttle.NONE, 1_732_233_600_124L))
            : List.of());
  }

  @Test
  void losesAndDuplicatesNothingWhenRequestsAreRecordedWhileItDrains() throws Exception {
    // Given 4 writer threads recording 50,000 requests each while a drainer drains in a loop
    InMemoryUsageMeter meter = new InMemoryUsageMeter(100);
    int writers = 4;
    int perWriter = 50_000;
    CountDownLatch start = new CountDownLatch(1);
    AtomicBoolean writing = new AtomicBoolean(true);
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      Thread t =
          new Thread(
              () -> {
                awaitQuietly(start);
                for (int i = 0; i < perWriter; i++) {
                  meter.record(outcome(1 + i % 3, i % 4 != 0, 3, 2));
                }
              });
      threads.add(t);
      t.start();
    }
    List<FlushRequest> batches = new ArrayList<>();
    Thread drainer =
        new Thread(
            () -> {
              awaitQuietly(start);
              while (writing.get()) {
                batches.add(meter.drain());
              }
            });
    drainer.start();

    // When
    start.countDown();
    for (Thread t : threads) {
      t.join();
    }
    writing.set(false);
    drainer.join();
    batches.add(meter.drain());

    // Then every request is in exactly one batch, with all its fields in the same batch
    long total = (long) writers * perWriter;
    long successes = (long) writers * (perWriter - perWriter / 4);
    Counters.Builder sum = Counters.newBuilder();
    long bucketRequests = 0;
    long errors = 0;
    for (FlushRequest batch : batches) {
      for (KeyDelta delta : batch.getKeyDeltasList()) {
        Counters c = delta.getCounters();
        assertThat(c.getSuccessRequests() + c.getFailureRequests()).isEqualTo(c.getRequests());
        assertThat(c.getPromptTokens()).isEqualTo(3 * c.getRequests());
        assertThat(c.getTotalTokens()).isEqualTo(5 * c.getRequests());
        sum.setRequests(sum.getRequests() + c.getRequests())
            .setSuccessRequests(sum.getSuccessRequests() + c.getSuccessRequests())
            .setPromptTokens(sum.getPromptTokens() + c.getPromptTokens());
      }
      long batchKeyRequests =
          batch.getKeyDeltasList().stream().mapToLong(d -> d.getCounters().getRequests()).sum();
      long batchBucketRequests =
          batch.getBucketsList().stream().mapToLong(b -> b.getCounters().getRequests()).sum();
      assertThat(batchBucketRequests).isEqualTo(batchKeyRequests);
      bucketRequests += batchBucketRequests;
      errors += batch.getErrorsCount() + batch.getErrorsDropped();
      assertThat(batch.getErrorsCount()).isLessThanOrEqualTo(100);
    }
    assertThat(sum.getRequests()).isEqualTo(total);
    assertThat(sum.getSuccessRequests()).isEqualTo(successes);
    assertThat(sum.getPromptTokens()).isEqualTo(3 * total);
    assertThat(bucketRequests).isEqualTo(total);
    assertThat(errors).isEqualTo(total - successes);
    assertThat(batches.size()).as("drains that overlapped the writers").isGreaterThan(2);
  }

  @Test
  void describesAtMostTheBoundOfErrorsPerBatchAndCountsTheRest() {
    // Given a bound of 10 error events
    InMemoryUsageMeter meter = new InMemoryUsageMeter(10);

    // When 25 requests fail
    for (int i = 0; i < 25; i++) {
      meter.record(outcome(1, false, 0, 0));
    }
    FlushRequest batch = meter.drain();

    // Then
    assertThat(batch.getErrorsCount()).isEqualTo(10);
    assertThat(batch.getErrorsDropped()).isEqualTo(15);
    assertThat(batch.getErrors(0).getErrorClass()).isEqualTo("upstream_500");
    assertThat(batch.getKeyDeltas(0).getCounters().getFailureRequests()).isEqualTo(25);
    assertThat(meter.drain().getErrorsCount()).isZero();
  }

  @Test
  void bucketsRequestsByMinuteKeyProviderKeyAndModelWithTheirLatency() {
    // Given
    InMemoryUsageMeter meter = new InMemoryUsageMeter(10);

    // When two successes and one failure without an upstream are recorded in the same minute
    meter.record(outcome(5, true, 1, 1));
    meter.record(outcome(5, true, 1, 1));
    meter.record(outcome(5, false, 0, 0));
    FlushRequest batch = meter.drain();

    // Then
    assertThat(batch.getBucketsList())
        .extracting(
            UsageBucket::getBucketStartUnixS,
            UsageBucket::getProviderKeyId,
            b -> b.getCounters().getRequests(),
            UsageBucket::getLatencyMsSum)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(1_732_233_600L, 100L, 2L, 14L),
            org.assertj.core.groups.Tuple.tuple(1_732_233_600L, 0L, 1L, 7L));
    assertThat(batch.getKeyDeltas(0).getLastAccessedAtUnixMs()).isEqualTo(1_732_233_600_123L);
    assertThat(batch.getProviderKeyDeltasList()).hasSize(1);
  }

  @Test
  void countsEveryTryOnItsProviderKeyAndTheTokensOnTheOneThatAnswered() {
    // Given a request that got a concurrency 429 from provider key 7, then a 502 from 8, and was
    // answered by 9
    InMemoryUsageMeter meter = new InMemoryUsageMeter(10);
    List<UpstreamAttempt> tries =
        List.of(
            new UpstreamAttempt(7, 429, false, 3, Throttle.CONCURRENCY, 1_000L),
            new UpstreamAttempt(8, 502, false, 4, Throttle.NONE, 1_010L),
            new UpstreamAttempt(9, 200, true, 20, Throttle.NONE, 1_020L));

    // When
    meter.record(
        new RequestOutcome(
            1,
            9,
            "m",
            "m",
            200,
            true,
            new TokenUsage(10, 5, 15),
            false,
            1_000L,
            40,
            null,
            null,
            "r",
            tries));
    FlushRequest batch = meter.drain();

    // Then the client key counts one request; each provider key counts its own try
    assertThat(batch.getKeyDeltas(0).getCounters().getRequests()).isEqualTo(1);
    assertThat(batch.getProviderKeyDeltasList())
        .extracting(
            ProviderKeyDelta::getProviderKeyId,
            d -> d.getCounters().getRequests(),
            d -> d.getCounters().getSuccessRequests(),
            d -> d.getCounters().getRateLimitedRequests(),
            d -> d.getCounters().getTotalTokens(),
            ProviderKeyDelta::getUpstream429Concurrency,
            ProviderKeyDelta::getLatencyMsSum,
            ProviderKeyDelta::getLast429AtUnixMs,
            ProviderKeyDelta::getLast429Kind,
            ProviderKeyDelta::getLastUsedAtUnixMs)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(
                7L, 1L, 0L, 1L, 0L, 1L, 3L, 1_000L, ThrottleKind.THROTTLE_KIND_CONCURRENCY, 1_000L),
            org.assertj.core.groups.Tuple.tuple(
                8L, 1L, 0L, 0L, 0L, 0L, 4L, 0L, ThrottleKind.THROTTLE_KIND_UNSPECIFIED, 1_010L),
            org.assertj.core.groups.Tuple.tuple(
                9L, 1L, 1L, 0L, 15L, 0L, 20L, 0L, ThrottleKind.THROTTLE_KIND_UNSPECIFIED, 1_020L));
  }

  @Test
  void keepsTheNewest429AndItsKindPerProviderKey() {
    // Given
    InMemoryUsageMeter meter = new InMemoryUsageMeter(10);

    // When an RPM 429 at t=2000 and an unknown 429 at t=1000 are recorded, newest first
    for (UpstreamAttempt a :
        List.of(
            new UpstreamAttempt(7, 429, false, 1, Throttle.RPM, 2_000L),
            new UpstreamAttempt(7, 429, false, 1, Throttle.UNKNOWN, 1_000L))) {
      meter.record(
          new RequestOutcome(
              1,
              7,
              "m",
              "m",
              429,
              false,
              TokenUsage.NONE,
              false,
              a.atMs(),
              1,
              "upstream_429",
              "slow",
              "r",
              List.of(a)));
    }
    ProviderKeyDelta delta = meter.drain().getProviderKeyDeltas(0);

    // Then
    assertThat(delta.getLast429AtUnixMs()).isEqualTo(2_000L);
    assertThat(delta.getLast429Kind()).isEqualTo(ThrottleKind.THROTTLE_KIND_RPM);
    assertThat(delta.getUpstream429Rpm()).isEqualTo(1);
    assertThat(delta.getUpstream429Unknown()).isEqualTo(1);
    assertThat(delta.getCounters().getRateLimitedRequests()).isEqualTo(2);
  }

  @Test
  void marksEstimatedTokensOnTheKeyTheBucketAndTheProviderKey() {
    // Given
    InMemoryUsageMeter meter = new InMemoryUsageMeter(10);

    // When a stream cut by the client is recorded with estimated tokens
    meter.record(
        new RequestOutcome(
            1,
            9,
            "m",
            "m",
            200,
            false,
            new TokenUsage(4, 6, 10),
            true,
            1_000L,
            9,
            "client_disconnected",
            "gone",
            "r",
            List.of(new UpstreamAttempt(9, 200, false, 9, Throttle.NONE, 1_000L))));
    FlushRequest batch = meter.drain();

    // Then
    assertThat(batch.getKeyDeltas(0).getCounters().getEstimatedRequests()).isEqualTo(1);
    assertThat(batch.getKeyDeltas(0).getCounters().getTotalTokens()).isEqualTo(10);
    assertThat(batch.getBuckets(0).getCounters().getEstimatedRequests()).isEqualTo(1);
    assertThat(batch.getProviderKeyDeltas(0).getCounters().getEstimatedRequests()).isEqualTo(1);
  }

  @Test
  void drainsReportedAdjustmentsOnceInOrder() {
    // Given
    InMemoryUsageMeter meter = new InMemoryUsageMeter(10);
    ConcurrencyAdjustment first =
        ConcurrencyAdjustment.newBuilder()
            .setProviderKeyId(7)
            .setAtUnixMs(1_000)
            .setOldLimit(10)
            .setNewLimit(8)
            .setReason(AdjustmentReason.ADJUSTMENT_REASON_CONCURRENCY_429)
            .setUtilisation(1.0)
            .build();
    ConcurrencyAdjustment second =
        first.toBuilder()
            .setAtUnixMs(2_000)
            .setOldLimit(8)
            .setNewLimit(10)
            .setReason(AdjustmentReason.ADJUSTMENT_REASON_INCREASE)
            .build();

    // When
    meter.recordAdjustment(first);
    meter.recordAdjustment(second);

    // Then
    assertThat(meter.drain().getAdjustmentsList()).containsExactly(first, second);
    assertThat(meter.drain().getAdjustmentsList()).isEmpty();
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
