/**
 * The in-memory replica of the control plane's configuration.
 *
 * <p>Threads: {@link dev.tollgate.dataplane.config.ConfigWatchClient} runs on one scheduler thread
 * plus gRPC's callback threads, and is the only writer; it builds a new immutable {@link
 * dev.tollgate.dataplane.config.ConfigView} per change and swaps it into {@link
 * dev.tollgate.dataplane.config.ConfigReplica} atomically. Event-loop threads only read the current
 * view: no locks on the request path.
 *
 * <p>Delivery: a snapshot is loaded at start (retried with backoff until it succeeds; readiness is
 * DOWN until then), then changes are followed with Watch from the loaded revision. A broken or
 * silent stream is reopened from the last applied revision; a stream the CP refuses to resume
 * triggers a fresh snapshot. While the CP is unreachable the last view keeps serving.
 */
package dev.tollgate.dataplane.config;
