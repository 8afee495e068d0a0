/**
 * Usage metering and its delivery to the control plane.
 *
 * <p>Threads: counters are incremented on event-loop threads ({@link
 * dev.tollgate.dataplane.usage.UsageMeter#record}, lock-free); the flusher drains them on its own
 * worker thread ({@code tollgate-flusher}), and on shutdown on the thread running Quarkus'
 * ShutdownEvent, never both at once.
 *
 * <p>Delivery: a request is recorded once, when its response ends or its client goes away. A drain
 * is exact: every recorded request is in exactly one batch, all its fields together (see {@link
 * dev.tollgate.dataplane.usage.InMemoryUsageMeter}). A batch is resent with the same dp_instance_id
 * and sequence until the control plane acknowledges it (applied, or reported as a duplicate), and
 * only then is the next sequence drained; the control plane ignores a sequence it has applied, so
 * each count is applied exactly once. A kill -9 loses what was counted since the last acknowledged
 * batch: at most about one flush interval (more while the CP is unreachable).
 *
 * <p>Quota: tokens recorded per key are also kept, outside the drained accumulators, until the
 * batch holding them is acknowledged; {@link
 * dev.tollgate.dataplane.usage.UsageMeter#unflushedTokens} reads them (lock-free) for the quota
 * check.
 */
package dev.tollgate.dataplane.usage;
