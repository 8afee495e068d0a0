/**
 * The request path: {@link dev.tollgate.dataplane.proxy.ProxyPipeline} wires authenticate → route →
 * limit → proxy → meter for each request; the proxy stage fails over to another provider key on a
 * retryable upstream error, only while nothing has been written to the client.
 *
 * <p>Threads: everything for one request runs on the event loop that accepted its connection,
 * upstream callbacks included (Vert.x dispatches them on the caller's context), so an {@link
 * dev.tollgate.dataplane.proxy.Exchange} is confined to one thread. Nothing here blocks or does I/O
 * other than the client and upstream sockets.
 *
 * <p>Tries: each upstream try is begun and ended on the {@link
 * dev.tollgate.dataplane.proxy.Exchange} with its {@link
 * dev.tollgate.dataplane.routing.UpstreamLease}; a try abandoned for another key is ended before
 * the next begins, and counts as a failed request of its provider key.
 *
 * <p>Counting: a request holding a valid key is recorded exactly once, when its response ends, its
 * upstream fails, or its client disconnects, whichever happens first; success means a 2xx answered
 * completely. It is recorded before its response ends, so it is in the meter before shutdown's
 * final drain. A client that disconnects is recorded first, then its upstream request is reset (the
 * reset is reported to the relay synchronously and must find the request already counted); its
 * tokens are the upstream's final usage if it arrived, else an estimate marked as such.
 *
 * <p>Memory: {@link dev.tollgate.dataplane.proxy.ResponseRelay} pauses the upstream whenever the
 * client's write queue is full and resumes it on drain, so a response is never held whole; what a
 * request holds is bounded by the write queue and the largest single SSE event.
 *
 * <p>Metrics ({@link dev.tollgate.dataplane.proxy.RequestMetrics}): the gateway's overhead is
 * accumulated in the exchange on the event loop (nanoTime around the gateway's own work, never
 * around a wait) and recorded once when the request finishes. Requests refused at authentication,
 * and new requests refused with 503 once SIGTERM has closed the {@link
 * dev.tollgate.dataplane.proxy.ShutdownGate}, are not recorded. An admitted request's limits
 * (leases, TPM) are settled in the same single place that records it, {@link
 * dev.tollgate.dataplane.proxy.Exchange#finish}, so they are released however it ends.
 */
package dev.tollgate.dataplane.proxy;
