/**
 * The in-memory replica of the control plane's configuration.
 *
 * <p>Threads: {@link dev.tollgate.dataplane.config.ConfigWatchClient} runs on one scheduler thread
 * plus gRPC's callback threads, and is the only writer; it builds a new immutable {@link
 * dev.tollgate.dataplane.config.ConfigView} per change and swaps it into {@link
 * dev.tollgate.dataplane.config.ConfigReplica} atomically. Event-loop threads only read the current
 * view: no locks on the request path. Each new view re-parses the address rules of the keys that
 * changed only ({@link dev.tollgate.dataplane.config.KeyRules}).
 *
 * <p>Delivery: a snapshot is loaded at start (retried with backoff until it succeeds; readiness is
 * DOWN until then) as a stream of chunks built into a new view off to the side and swapped in only
 * when its end arrives and adds up, then changes are followed with Watch from the loaded revision,
 * a change set split into parts being applied when its last part arrives. A stream that arrives but
 * cannot be applied (see {@link dev.tollgate.dataplane.config.StuckReason}) marks the replica stuck
 * and is replaced by a fresh snapshot. A broken or silent stream is reopened from the last applied
 * revision; a stream the CP refuses to resume triggers a fresh snapshot. While the CP is
 * unreachable the last view keeps serving. Entities that arrive deleted are dropped; a key is
 * indexed by its current token hash only, so a rotation stops the old secret in the same swap.
 */
package dev.tollgate.dataplane.config;
