package dev.tollgate.dataplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.upstream.TokenUsage;
import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.KeyDelta;
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
        success ? 200 : 500,
        success,
        new TokenUsage(prompt, completion, prompt + completion),
        1_732_233_600_123L,
        7,
        success ? null : "upstream_500",
        success ? null : "boom",
        "req-" + keyId);
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

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
