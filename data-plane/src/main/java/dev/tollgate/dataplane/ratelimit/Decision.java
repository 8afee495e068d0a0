package dev.tollgate.dataplane.ratelimit;

/**
 * What the limiter decided for one request. An admitted request must be {@linkplain
 * RateLimiter#complete completed} exactly once when it ends, whatever way it ends.
 */
public final class Decision {

  static final Decision UNLIMITED = new Decision(true, null, 0, false, null, null);

  private final boolean admitted;
  private final Scope refusedBy;
  private final long retryAfterSeconds;
  private final boolean unavailable;
  final Limits limits;
  final String lease;

  Decision(
      boolean admitted,
      Scope refusedBy,
      long retryAfterSeconds,
      boolean unavailable,
      Limits limits,
      String lease) {
    this.admitted = admitted;
    this.refusedBy = refusedBy;
    this.retryAfterSeconds = retryAfterSeconds;
    this.unavailable = unavailable;
    this.limits = limits;
    this.lease = lease;
  }

  /** Whether the request may go on. */
  public boolean admitted() {
    return admitted;
  }

  /** The scope that refused it; null when admitted or refused because Redis was unavailable. */
  public Scope refusedBy() {
    return refusedBy;
  }

  /** Seconds until the refusing window resets (the client's {@code Retry-After}), at least 1. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** Whether Redis could not decide in time and the fail mode did. */
  public boolean unavailable() {
    return unavailable;
  }
}
