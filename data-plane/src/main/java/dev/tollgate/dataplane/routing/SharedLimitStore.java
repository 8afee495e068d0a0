package dev.tollgate.dataplane.routing;

import io.vertx.core.Future;

/**
 * The learned concurrency limits shared by every data plane, and each data plane's in-flight count
 * per provider key.
 *
 * <p>Contract: every call is asynchronous and never blocks; it completes (or fails) within the
 * configured Redis timeout. Each update is atomic across data planes (no lost update when two data
 * planes adjust the same key at once), and times are the store's clock, not the caller's. A failed
 * call changes nothing the caller can rely on: the caller falls back to its local state.
 */
public interface SharedLimitStore {

  /**
   * Publishes this data plane's in-flight count for the key and reads the shared state, creating it
   * with {@code startLimit} when missing. When {@code resetAtMs} is newer than the reset the shared
   * state last applied, the learned state is discarded first (limit back to {@code initialLimit})
   * and {@link Shared#reset} is true for exactly one caller.
   *
   * @param adaptive false for a key with a fixed limit: only in-flight counts are exchanged
   */
  Future<Shared> sync(
      long providerKeyId,
      boolean adaptive,
      int localInFlight,
      int startLimit,
      int initialLimit,
      long resetAtMs);

  /**
   * Applies an upstream 429 of {@code kind} ("concurrency", "unknown" or "rpm") seen with {@code
   * inFlight} requests in flight across data planes: records its time, and lowers the limit for the
   * first two kinds (see {@link AdaptiveConcurrency} for the rules).
   */
  Future<Change> throttled(long providerKeyId, String kind, int inFlight, int currentLimit);

  /**
   * Raises the limit by {@code step} (capped) when it is still {@code expected} and the rules for
   * {@code reason} ("increase" or "probe") allow it at the store's time.
   */
  Future<Change> raise(long providerKeyId, int expected, int step, String reason);

  /**
   * The shared state of one key.
   *
   * @param limit the learned limit (0 for a fixed key)
   * @param othersInFlight requests the other live data planes have in flight with the key
   * @param last429Ms store time of the last 429, 0 = none
   * @param lastIncreaseMs store time of the last increase, probe, reset or creation
   * @param nowMs store time of this call
   * @param reset true when this call discarded the learned state
   * @param limitBeforeReset the limit discarded by a reset
   */
  record Shared(
      int limit,
      int othersInFlight,
      long last429Ms,
      long lastIncreaseMs,
      long nowMs,
      boolean reset,
      int limitBeforeReset) {}

  /**
   * The outcome of an update.
   *
   * @param oldLimit before
   * @param newLimit after (equal to {@code oldLimit} when nothing changed)
   * @param atMs store time of the update
   */
  record Change(int oldLimit, int newLimit, long atMs) {
    public boolean changed() {
      return oldLimit != newLimit;
    }
  }
}
