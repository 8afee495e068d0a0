package dev.tollgate.dataplane.usage;

import dev.tollgate.proto.usage.v1.ThrottleKind;

/**
 * One try of one upstream provider key for a client request. A request that fails over makes
 * several; each counts as a request of its provider key (so a provider key's failure rate and 429
 * counts show what happened to it), while the client key counts the request once.
 *
 * @param providerKeyId provider_key.id tried
 * @param status HTTP status the upstream answered, or the gateway's status for a try that got no
 *     answer (502 unreachable, 504 timeout)
 * @param success true when this try produced the client's successful answer (a 2xx streamed to the
 *     end); a try abandoned for another provider key is never a success
 * @param latencyMs from sending the request to the end of this try, milliseconds
 * @param throttle the kind of a 429, {@link Throttle#NONE} otherwise
 * @param atMs when the try started, Unix epoch milliseconds
 */
public record UpstreamAttempt(
    long providerKeyId, int status, boolean success, long latencyMs, Throttle throttle, long atMs) {

  /** Kinds of upstream 429, as the routing layer classifies them. */
  public enum Throttle {
    NONE("", ThrottleKind.THROTTLE_KIND_UNSPECIFIED),
    RPM("rpm", ThrottleKind.THROTTLE_KIND_RPM),
    CONCURRENCY("concurrency", ThrottleKind.THROTTLE_KIND_CONCURRENCY),
    UNKNOWN("unknown", ThrottleKind.THROTTLE_KIND_UNKNOWN);

    /** The name in metrics, logs and Redis, and the text the control plane stores. */
    public final String wireName;

    /** The value of {@code ProviderKeyDelta.last_429_kind}. */
    public final ThrottleKind kind;

    Throttle(String wireName, ThrottleKind kind) {
      this.wireName = wireName;
      this.kind = kind;
    }
  }

  public UpstreamAttempt {
    if (throttle == null) {
      throw new IllegalArgumentException("throttle must not be null; use Throttle.NONE");
    }
  }
}
