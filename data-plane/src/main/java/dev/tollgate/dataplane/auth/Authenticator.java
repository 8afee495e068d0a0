package dev.tollgate.dataplane.auth;

import dev.tollgate.dataplane.config.ConfigView;
import dev.tollgate.proto.config.v1.ApiKey;

/**
 * Decides whether the bearer token of a request belongs to a key that may be used now, from this
 * address, and for this model.
 *
 * <p>Contract: runs on an event loop for every request, so it must not block or do I/O; it reads
 * only the given view (and in-memory counters). Refusals are reported through {@link
 * Result#failure()} or a returned {@link AuthFailure}, never thrown.
 */
public interface Authenticator {

  /**
   * Checks the key itself: known, status, expiry, owner, quota, and client address.
   *
   * @param authorization the request's Authorization header, possibly null
   * @param clientAddress the client's address (4 or 16 bytes), null when unknown
   * @param view the current config view
   * @param nowMs the current time, Unix epoch milliseconds (expiry is checked against it)
   */
  Result authenticate(String authorization, byte[] clientAddress, ConfigView view, long nowMs);

  /** Null when the key may use the public model name, else why not. */
  AuthFailure checkModel(ApiKey key, String model, ConfigView view);

  /** Either a key or a failure. */
  record Result(ApiKey key, AuthFailure failure) {
    public static Result of(ApiKey key) {
      return new Result(key, null);
    }

    public static Result refused(AuthFailure failure) {
      return new Result(null, failure);
    }

    public boolean ok() {
      return key != null;
    }
  }
}
