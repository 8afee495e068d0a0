package dev.tollgate.dataplane.usage;

import dev.tollgate.proto.usage.v1.ConcurrencyAdjustment;
import dev.tollgate.proto.usage.v1.FlushRequest;

/**
 * In-memory usage counters: the request path records, the flusher drains.
 *
 * <p>Contract: {@link #record} is called once per answered request from any event loop and must
 * never block or do I/O; so is {@link #recordAdjustment}, once per change of a learned limit.
 * {@link #drain} is called by one thread at a time and returns everything recorded since the
 * previous drain, exactly: every recorded request and adjustment lands in exactly one drained
 * batch, with all fields of a request in that same batch. {@link #unflushedTokens} is read on the
 * request path (quota checks) and must be cheap: tokens recorded for a key count there from {@link
 * #record} until the batch holding them is {@link #acknowledged}.
 */
public interface UsageMeter {

  /** Counts one answered request. */
  void record(RequestOutcome outcome);

  /** Reports one change of a provider key's learned concurrency limit to the control plane. */
  void recordAdjustment(ConcurrencyAdjustment adjustment);

  /**
   * Takes everything recorded so far as the content of a batch (dp_instance_id and sequence unset).
   */
  FlushRequest drain();

  /**
   * Total tokens recorded for the key that the control plane has not acknowledged yet (drained or
   * not): what this replica adds to the key's {@code quota_used}.
   */
  long unflushedTokens(long keyId);

  /** The control plane acknowledged this drained batch: its tokens are no longer unflushed. */
  void acknowledged(FlushRequest batch);
}
