package dev.tollgate.dataplane.ratelimit;

/** A limit a request is counted against, as named to a client it refuses. */
public enum Scope {
  KEY_RPM("requests per minute of this API key", "requests"),
  USER_RPM("requests per minute of this API key's owner", "requests"),
  GROUP_RPM("requests per minute of the provider group serving this model", "requests"),
  USER_GROUP_RPM(
      "requests per minute of this API key's owner on the provider group serving this model",
      "requests"),
  KEY_TPM("tokens per minute of this API key", "tokens"),
  KEY_CONCURRENCY("concurrent requests of this API key", "requests"),
  USER_CONCURRENCY("concurrent requests of this API key's owner", "requests");

  private final String description;
  private final String errorType;

  Scope(String description, String errorType) {
    this.description = description;
    this.errorType = errorType;
  }

  /** What the limit counts, as the 429 this scope answers names it. */
  public String description() {
    return description;
  }

  /** The OpenAI error {@code type}: {@code requests} or {@code tokens}, as OpenAI writes it. */
  public String errorType() {
    return errorType;
  }
}
