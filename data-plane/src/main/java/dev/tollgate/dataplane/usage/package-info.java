/**
 * Usage metering and its delivery to the control plane.
 *
 * <p>Threads: counters are incremented on event-loop threads ({@link
 * dev.tollgate.dataplane.usage.UsageMeter#record}, lock-free); the flusher drains them on its own
 * worker thread ({@code tollgate-flusher}), and on shutdown on the thread running Quarkus'
 * ShutdownEvent, never both at once.
 *
 * <p>Delivery: a request is recorded once, when its response ends or its client goes away. A drain
 * is exact: every recorded request is in exactly one drain, all its fields together (see {@link
 * dev.tollgate.dataplane.usage.InMemoryUsageMeter}); a drain is cut into batches under the byte
 * budget ({@link dev.tollgate.dataplane.usage.FlushBatches}), each item in exactly one, numbered
 * with consecutive sequences. A batch is resent with the same dp_instance_id and sequence until the
 * control plane acknowledges it (applied, possibly with parts kept as dead letters, or reported as
 * a duplicate), and only then is the next sequence sent; the control plane ignores a sequence it
 * has applied, so each count is applied exactly once. A batch refused for good (INVALID_ARGUMENT)
 * is dropped and counted, never resent, so no batch can hold back the ones after it. Every string
 * is cleaned and cut for the wire by {@link dev.tollgate.dataplane.usage.WireText}. A kill -9 loses
 * what was counted since the last acknowledged batch: at most about one flush interval (more while
 * the CP is unreachable).
 *
 * <p>Quota: tokens recorded per key are also kept, outside the drained accumulators, until the
 * batch holding them is acknowledged; {@link
 * dev.tollgate.dataplane.usage.UsageMeter#unflushedTokens} reads them (lock-free) for the quota
 * check.
 */
package dev.tollgate.dataplane.usage;
