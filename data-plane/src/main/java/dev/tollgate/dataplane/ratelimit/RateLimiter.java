package dev.tollgate.dataplane.ratelimit;

import io.vertx.core.Handler;

/**
 * Admits requests against limits shared by every data-plane replica.
 *
 * <p>Contract: {@link #admit} is called on the event loop of the request and never blocks; {@code
 * done} is called exactly once, on that same event loop, within the configured Redis timeout (plus
 * timer granularity) whatever Redis does: when Redis cannot answer in time the configured fail mode
 * decides ({@link Decision#unavailable()}). Admission is all or nothing: a request is counted in
 * every RPM window and holds a lease in every concurrency set that applies to it, or in none, and
 * decisions are exact across replicas (every admission is a single atomic step in the shared store,
 * windows taken from the store's clock; on a Redis Cluster at most two atomic steps, one per slot,
 * the first taken back when the second refuses). An admitted request is {@link #complete}d exactly
 * once, on the same event loop, when it ends (answered, failed, or abandoned by its client): that
 * releases its leases and charges the tokens it used to its TPM window. Leases of a replica that
 * dies expire on their own.
 */
public interface RateLimiter {

  /** Decides whether the request with these limits may go on. */
  void admit(Limits limits, Handler<Decision> done);

  /** The admitted request ended having used {@code totalTokens} tokens. */
  void complete(Decision decision, long totalTokens);

  /** Closes the limiter's Redis connections (at shutdown); nothing is admitted after. */
  void close();
}
