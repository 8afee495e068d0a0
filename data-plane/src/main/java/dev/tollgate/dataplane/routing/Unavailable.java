package dev.tollgate.dataplane.routing;

/**
 * The model is served, but no provider key can take the request now; the client gets this
 * OpenAI-shaped error.
 *
 * @param status 429 when keys are resting or full (retry soon), 503 when circuits are open, 502
 *     when every key was refused by its upstream
 * @param code the error code ({@code upstream_rate_limited}, {@code upstream_unavailable}, {@code
 *     upstream_auth_failed})
 * @param message for the client
 * @param retryAfterSeconds for the {@code Retry-After} header; 0 = none
 */
public record Unavailable(int status, String code, String message, long retryAfterSeconds)
    implements RouteDecision {}
