package dev.tollgate.dataplane.routing;

/**
 * The model is served, but no provider key can take the request now; the client gets the data
 * plane's error for {@code reason}, naming the model.
 *
 * @param reason why no provider key can take it
 * @param model the public model name asked for
 * @param retryAfterSeconds for the {@code Retry-After} header; 0 = none
 */
public record Unavailable(Reason reason, String model, long retryAfterSeconds)
    implements RouteDecision {

  /** Why no provider key serving the model can take the request. */
  public enum Reason {
    /** Keys are resting after a 429 or full: 429, retry soon. */
    RATE_LIMITED(429),
    /** Circuits are open: 503. */
    FAILING(503),
    /** Every key was refused by its upstream: 502. */
    CREDENTIALS_REFUSED(502);

    /** The HTTP status the client gets. */
    public final int status;

    Reason(int status) {
      this.status = status;
    }
  }

  /** The HTTP status the client gets. */
  public int status() {
    return reason.status;
  }
}
