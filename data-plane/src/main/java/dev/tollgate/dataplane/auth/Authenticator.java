package dev.tollgate.dataplane.auth;

import dev.tollgate.dataplane.config.ConfigView;
import dev.tollgate.proto.config.v1.ApiKey;

/**
 * Decides whether the bearer token of a request belongs to a usable client key.
 *
 * <p>Contract: runs on an event loop for every request, so it must not block or do I/O; it reads
 * only the given view. It returns the key, or throws nothing and reports the refusal through {@link
 * Result#failure()}.
 */
public interface Authenticator {

  /**
   * @param authorization the request's Authorization header, possibly null
   * @param view the current config view
   * @param nowMs the current time, Unix epoch milliseconds (expiry is checked against it)
   */
  Result authenticate(String authorization, ConfigView view, long nowMs);

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
