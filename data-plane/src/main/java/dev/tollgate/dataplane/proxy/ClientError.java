package dev.tollgate.dataplane.proxy;

import dev.tollgate.dataplane.auth.AuthFailure;
import dev.tollgate.dataplane.ratelimit.Scope;
import dev.tollgate.dataplane.routing.Unavailable;

/**
 * Every error the data plane answers a client with: HTTP status, OpenAI {@code type}, {@code code}
 * and message (a {@link String#format} pattern when it names something of the request). The only
 * source of the error bodies {@link Exchange} writes; docs/architecture.md lists the same table.
 *
 * <p>The {@code type} is OpenAI's: {@code invalid_request_error} for 4xx, {@code server_error} for
 * 5xx, {@code insufficient_quota} for a spent quota, {@code requests} or {@code tokens} for a rate
 * limit. On {@code /v1/messages} the body is written in Anthropic's shape instead, with the type
 * taken from the status (see {@link OpenAiError}); the code is the same.
 */
enum ClientError {
  // Authentication (the authenticator decides; the wording is AuthFailure's).
  MISSING_KEY(AuthFailure.MISSING_KEY),
  UNKNOWN_KEY(AuthFailure.UNKNOWN_KEY),
  KEY_DISABLED(AuthFailure.KEY_DISABLED),
  USER_DISABLED(AuthFailure.USER_DISABLED),
  KEY_REVOKED(AuthFailure.KEY_REVOKED),
  KEY_EXPIRED(AuthFailure.KEY_EXPIRED),
  IP_NOT_ALLOWED(AuthFailure.IP_NOT_ALLOWED),
  MODEL_NOT_ALLOWED(AuthFailure.MODEL_NOT_ALLOWED),
  QUOTA_EXHAUSTED(AuthFailure.QUOTA_EXHAUSTED),

  // The replica's state.
  NOT_READY(503, "not_ready", "The gateway has not loaded its configuration yet."),
  SHUTTING_DOWN(503, "shutting_down", "This gateway replica is shutting down; retry."),

  // The front door: framing and body, before anything is routed.
  UNKNOWN_URL(404, "unknown_url", "Unknown request URL: %s %s."),
  AMBIGUOUS_LENGTH(
      400,
      "ambiguous_length",
      "A request may not carry both Content-Length and Transfer-Encoding."),
  UNSUPPORTED_EXPECTATION(
      417, "expectation_failed", "Only `Expect: 100-continue` is supported, not `%s`."),
  REQUEST_TOO_LARGE(413, "request_too_large", "The request body exceeds %d bytes."),
  BODY_TIMEOUT(408, "request_timeout", "The request body did not arrive within %d ms."),
  BODY_UNREADABLE(400, "invalid_request", "The request body could not be read."),
  INVALID_JSON(400, "invalid_json", "The request body must be a JSON object."),
  DUPLICATE_MEMBER(
      400, "duplicate_member", "The request body names the member `%s` more than once."),
  MODEL_REQUIRED(400, "model_required", "The request body must name a model."),

  // Routing.
  MODEL_NOT_FOUND(
      404, "model_not_found", "The model `%s` does not exist or this key cannot use it."),
  MODEL_ON_OPENAI_ENDPOINTS(
      404,
      "model_not_found",
      "The model `%s` is served by an OpenAI-compatible group: call it on /v1/chat/completions."),
  MODEL_ON_MESSAGES(
      404,
      "model_not_found",
      "The model `%s` is served by an Anthropic group: call it on /v1/messages."),
  UPSTREAM_RATE_LIMITED(
      429,
      "requests",
      "upstream_rate_limited",
      "Every provider key serving `%s` is rate limited or at its concurrency limit; retry"
          + " shortly."),
  UPSTREAM_UNAVAILABLE(
      503, "upstream_unavailable", "Every provider key serving `%s` is failing; retry later."),
  UPSTREAM_CREDENTIALS_REFUSED(
      502, "upstream_auth_failed", "The upstream refused the gateway's credentials for `%s`."),

  // Limits (Redis).
  RATE_LIMITED(429, "rate_limit_exceeded", "Rate limit reached: %s (scope %s)."),
  LIMITS_UNAVAILABLE(
      503, "limits_unavailable", "The gateway cannot check rate limits right now; retry."),

  // The upstream call.
  UPSTREAM_AUTH_FAILED(
      502, "upstream_auth_failed", "The upstream refused the gateway's credential (%d)."),
  UPSTREAM_CONNECT_TIMEOUT(
      504, "upstream_timeout", "The upstream did not accept a connection in time."),
  UPSTREAM_UNREACHABLE(502, "upstream_unreachable", "The upstream could not be reached."),
  UPSTREAM_TIMEOUT(504, "upstream_timeout", "The upstream did not answer in time."),
  UPSTREAM_ERROR(502, "upstream_error", "The upstream connection failed before answering."),
  UPSTREAM_IDLE_TIMEOUT(
      504, "upstream_idle_timeout", "The upstream went silent in the middle of its response."),
  UPSTREAM_RESET(
      502, "upstream_reset", "The upstream connection failed in the middle of its response.");

  /** HTTP status. */
  final int status;

  /** OpenAI's error {@code type} (for a rate limit: the default, see {@link #type(Scope)}). */
  final String type;

  /** Machine-readable code; also the error class of the error event the request is counted as. */
  final String code;

  private final String pattern;

  ClientError(int status, String code, String pattern) {
    this(status, typeOf(status), code, pattern);
  }

  ClientError(int status, String type, String code, String pattern) {
    this.status = status;
    this.type = type;
    this.code = code;
    this.pattern = pattern;
  }

  ClientError(AuthFailure failure) {
    this(failure.status(), failure.code(), failure.message());
  }

  /**
   * The message, with {@code args} filled into the pattern; text among them (what the client sent,
   * such as a model name) is cleaned first ({@link ClientText}).
   */
  String message(Object... args) {
    if (args.length == 0) {
      return pattern;
    }
    Object[] filled = args.clone();
    for (int i = 0; i < filled.length; i++) {
      if (filled[i] instanceof String text) {
        filled[i] = ClientText.clean(text);
      }
    }
    return String.format(pattern, filled);
  }

  /** The pattern as listed in the docs. */
  String pattern() {
    return pattern;
  }

  /** The entry for a refusal of the authenticator. */
  static ClientError of(AuthFailure failure) {
    return switch (failure) {
      case MISSING_KEY -> MISSING_KEY;
      case UNKNOWN_KEY -> UNKNOWN_KEY;
      case KEY_DISABLED -> KEY_DISABLED;
      case USER_DISABLED -> USER_DISABLED;
      case KEY_REVOKED -> KEY_REVOKED;
      case KEY_EXPIRED -> KEY_EXPIRED;
      case IP_NOT_ALLOWED -> IP_NOT_ALLOWED;
      case MODEL_NOT_ALLOWED -> MODEL_NOT_ALLOWED;
      case QUOTA_EXHAUSTED -> QUOTA_EXHAUSTED;
    };
  }

  /** The entry for a model that routing found no provider key for now. */
  static ClientError of(Unavailable.Reason reason) {
    return switch (reason) {
      case RATE_LIMITED -> UPSTREAM_RATE_LIMITED;
      case FAILING -> UPSTREAM_UNAVAILABLE;
      case CREDENTIALS_REFUSED -> UPSTREAM_CREDENTIALS_REFUSED;
    };
  }

  /** For {@link #RATE_LIMITED}: {@code requests} or {@code tokens}, by the scope that refused. */
  static String type(Scope scope) {
    return scope.errorType();
  }

  private static String typeOf(int status) {
    if (status == 429) {
      return "insufficient_quota";
    }
    return status >= 500 ? "server_error" : "invalid_request_error";
  }
}
