package dev.tollgate.dataplane.auth;

/** Why a client key was refused, with the OpenAI-shaped status and code the client receives. */
public enum AuthFailure {
  MISSING_KEY(401, "invalid_api_key", "Missing API key: send Authorization: Bearer <key>."),
  UNKNOWN_KEY(401, "invalid_api_key", "Incorrect API key provided."),
  KEY_DISABLED(401, "key_disabled", "This API key is disabled."),
  USER_DISABLED(401, "key_disabled", "The owner of this API key is disabled."),
  KEY_REVOKED(401, "key_revoked", "This API key has been revoked."),
  KEY_EXPIRED(401, "key_expired", "This API key has expired."),
  IP_NOT_ALLOWED(403, "ip_not_allowed", "This API key may not be used from this address."),
  MODEL_NOT_ALLOWED(403, "model_not_allowed", "This API key may not use this model."),
  QUOTA_EXHAUSTED(
      429,
      "quota_exceeded",
      "You exceeded this API key's quota of tokens; ask its owner to raise quota_limit.");

  private final int status;
  private final String code;
  private final String message;

  AuthFailure(int status, String code, String message) {
    this.status = status;
    this.code = code;
    this.message = message;
  }

  /** HTTP status. */
  public int status() {
    return status;
  }

  /** OpenAI-style error code. */
  public String code() {
    return code;
  }

  /** Message for the client; never names the key. */
  public String message() {
    return message;
  }
}
