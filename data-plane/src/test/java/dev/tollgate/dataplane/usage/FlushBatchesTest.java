package dev.tollgate.dataplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.proto.usage.v1.ConcurrencyAdjustment;
import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.KeyDelta;
import dev.tollgate.proto.usage.v1.UsageBucket;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlushBatchesTest {

  @Test
  void keepsASmallDrainAsOneBatch() {
    FlushRequest content =
        FlushRequest.newBuilder()
            .addKeyDeltas(KeyDelta.newBuilder().setKeyId(1).setCounters(one()))
            .setErrorsDropped(3)
            .build();
    assertThat(FlushBatches.split(content, 16_384)).containsExactly(content);
  }

  @Test
  void cutsABigDrainIntoBatchesUnderTheBudgetKeepingEveryItemOnceAndInOrder() {
    // Given a drain of 3,000 keys, buckets with long models and adjustments, ~1 MB in all
    FlushRequest.Builder content = FlushRequest.newBuilder().setErrorsDropped(7);
    for (int i = 1; i <= 3_000; i++) {
      content.addKeyDeltas(KeyDelta.newBuilder().setKeyId(i).setCounters(one()));
      content.addBuckets(
          UsageBucket.newBuilder()
              .setBucketStartUnixS(1_700_000_040L)
              .setKeyId(i)
              .setModel(("model-" + i + "-").repeat(20))
              .setCounters(one()));
      content.addAdjustments(
          ConcurrencyAdjustment.newBuilder().setProviderKeyId(1).setAtUnixMs(i).setNewLimit(i));
    }
    FlushRequest whole = content.build();
    int budget = 65_536;

    // When it is split
    List<FlushRequest> batches = FlushBatches.split(whole, budget);

    // Then each batch (with its envelope) fits, and together they hold every item once, in order
    assertThat(batches.size()).isGreaterThan(whole.getSerializedSize() / budget);
    FlushRequest.Builder joined = FlushRequest.newBuilder();
    for (FlushRequest batch : batches) {
      FlushRequest sent =
          batch.toBuilder()
              .setDpInstanceId("0b9e3a6c-7a1f-4a5e-9d35-3c1f0e5b2a11")
              .setSequence(Long.MAX_VALUE)
              .build();
      assertThat(sent.getSerializedSize()).isLessThanOrEqualTo(budget);
      joined.addAllKeyDeltas(batch.getKeyDeltasList());
      joined.addAllBuckets(batch.getBucketsList());
      joined.addAllAdjustments(batch.getAdjustmentsList());
      joined.setErrorsDropped(joined.getErrorsDropped() + batch.getErrorsDropped());
    }
    assertThat(joined.build()).isEqualTo(whole);
    assertThat(batches.get(0).getErrorsDropped()).isEqualTo(7);
  }

  private static Counters one() {
    return Counters.newBuilder().setRequests(1).setSuccessRequests(1).build();
  }
}
