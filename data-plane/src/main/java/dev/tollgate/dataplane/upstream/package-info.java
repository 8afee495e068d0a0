/**
 * Calls to upstream providers and reading their usage.
 *
 * <p>Threads: {@link dev.tollgate.dataplane.upstream.UpstreamClient} is shared by all event loops
 * (Vert.x pools connections and runs each request's callbacks on the event loop that opened it). A
 * {@link dev.tollgate.dataplane.upstream.UsageExtractor} belongs to one response and is fed on that
 * event loop only; it is not thread-safe and needs not be.
 */
package dev.tollgate.dataplane.upstream;
