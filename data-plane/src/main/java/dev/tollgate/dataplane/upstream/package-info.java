/**
 * Calls to upstream providers, reading their usage, and classifying their errors.
 *
 * <p>Threads: {@link dev.tollgate.dataplane.upstream.UpstreamClient} is shared by all event loops
 * (Vert.x pools connections and runs each request's callbacks on the event loop that opened it). A
 * {@link dev.tollgate.dataplane.upstream.UsageExtractor} belongs to one response and is fed on that
 * event loop only; it is not thread-safe and needs not be. {@link
 * dev.tollgate.dataplane.upstream.UpstreamErrorClassifier} is pure and stateless.
 */
package dev.tollgate.dataplane.upstream;
