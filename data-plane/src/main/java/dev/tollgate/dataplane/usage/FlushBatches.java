package dev.tollgate.dataplane.usage;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import dev.tollgate.proto.usage.v1.FlushRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts what one drain of the meter holds into batches of at most a byte budget each, so that no
 * flush is ever too big for the control plane's inbound limit however many keys, buckets and errors
 * one interval saw. Every item lands in exactly one batch, in its list's order (the adjustments'
 * order is the order their changes happened); errors_dropped rides on the first batch. A batch's
 * dp_instance_id and sequence are set by the caller, within the reserve kept for them.
 */
final class FlushBatches {

  /** Bytes kept free in every batch for dp_instance_id, sequence and errors_dropped. */
  static final int ENVELOPE_RESERVE = 256;

  /**
   * Smallest budget accepted: a few times the largest single item (an error event whose strings are
   * all at their limits, about 4 KiB), so every batch holds a useful number of items.
   */
  static final int MIN_BUDGET_BYTES = 16_384;

  private FlushBatches() {}

  /** {@code content} as batches of at most {@code maxBytes} serialised bytes each. */
  static List<FlushRequest> split(FlushRequest content, int maxBytes) {
    if (content.getSerializedSize() + ENVELOPE_RESERVE <= maxBytes) {
      return List.of(content);
    }
    Splitter splitter = new Splitter(maxBytes - ENVELOPE_RESERVE);
    splitter.current.setErrorsDropped(content.getErrorsDropped());
    splitter.size = content.getErrorsDropped() == 0 ? 0 : 11;
    for (var item : content.getKeyDeltasList()) {
      splitter.add(FlushRequest.KEY_DELTAS_FIELD_NUMBER, item, b -> b.addKeyDeltas(item));
    }
    for (var item : content.getProviderKeyDeltasList()) {
      splitter.add(
          FlushRequest.PROVIDER_KEY_DELTAS_FIELD_NUMBER, item, b -> b.addProviderKeyDeltas(item));
    }
    for (var item : content.getAdjustmentsList()) {
      splitter.add(FlushRequest.ADJUSTMENTS_FIELD_NUMBER, item, b -> b.addAdjustments(item));
    }
    for (var item : content.getBucketsList()) {
      splitter.add(FlushRequest.BUCKETS_FIELD_NUMBER, item, b -> b.addBuckets(item));
    }
    for (var item : content.getErrorsList()) {
      splitter.add(FlushRequest.ERRORS_FIELD_NUMBER, item, b -> b.addErrors(item));
    }
    for (var item : content.getProviderKeyHealthList()) {
      splitter.add(
          FlushRequest.PROVIDER_KEY_HEALTH_FIELD_NUMBER, item, b -> b.addProviderKeyHealth(item));
    }
    return splitter.finish();
  }

  private static final class Splitter {
    private final int budget;
    private final List<FlushRequest> batches = new ArrayList<>();
    private FlushRequest.Builder current = FlushRequest.newBuilder();
    private int size;
    private int items;

    Splitter(int budget) {
      this.budget = budget;
    }

    void add(int field, MessageLite item, java.util.function.Consumer<FlushRequest.Builder> add) {
      int itemSize = CodedOutputStream.computeMessageSize(field, item);
      if (items > 0 && size + itemSize > budget) {
        batches.add(current.build());
        current = FlushRequest.newBuilder();
        size = 0;
        items = 0;
      }
      add.accept(current);
      size += itemSize;
      items++;
    }

    List<FlushRequest> finish() {
      if (items > 0 || batches.isEmpty()) {
        batches.add(current.build());
      }
      return batches;
    }
  }
}
