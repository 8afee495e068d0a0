/**
 * Usage accounting: applies the batches data-plane replicas flush (docs/architecture.md, "Usage
 * accounting, exactly once").
 *
 * <p>Delivery guarantee: a batch is applied exactly once. {@link
 * dev.tollgate.controlplane.usage.FlushRepository} advances the {@code flush_ledger} row of the
 * batch's {@code dp_instance_id} in the same transaction as the deltas, and only when the batch's
 * sequence is above the one recorded; a resent batch finds the row already advanced (after waiting
 * on its lock if the first delivery is still in flight) and applies nothing.
 *
 * <p>No batch blocks the ones after it: every valid part of a batch is applied and every other part
 * is kept in {@code flush_dead_letter} in the same transaction ({@link
 * dev.tollgate.controlplane.usage.FlushValidator}, {@link
 * dev.tollgate.controlplane.usage.DeadLetters}); only an invalid envelope is refused whole, and
 * only transient database failures are answered as retryable.
 *
 * <p>Concurrency: flushes from many replicas run at once on gRPC worker threads. Every transaction
 * locks the rows it updates table by table (api_key, provider_key, provider_group, the usage tiers,
 * then the single api_key_usage_totals row, last so it is held only until the commit) and, within a
 * table, in ascending key order, so two flushes never wait on each other in a cycle. A deadlock or
 * serialization failure that still happens (for example against an admin transaction) is retried by
 * {@link dev.tollgate.controlplane.usage.UsageFlushService} with the same batch.
 */
package dev.tollgate.controlplane.usage;
