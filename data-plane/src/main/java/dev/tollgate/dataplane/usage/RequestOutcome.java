package dev.tollgate.dataplane.usage;

import dev.tollgate.dataplane.upstream.TokenUsage;

/**
 * What one answered request contributes to the counters.
 *
 * @param keyId api_key.id of the authenticated client key
 * @param providerKeyId provider_key.id tried, or 0 when no upstream was tried
 * @param model the model the client asked for (may be empty when the body had none)
 * @param status HTTP status the client received
 * @param success true for a 2xx answered completely
 * @param usage tokens the upstream reported ({@link TokenUsage#NONE} when none)
 * @param startedAtMs when the request started, Unix epoch milliseconds
 * @param latencyMs total latency until the answer ended, milliseconds
 * @param errorClass short machine-readable class of a failure, null on success
 * @param message human-readable failure message, null on success
 * @param requestId the request id echoed to the client
 */
public record RequestOutcome(
    long keyId,
    long providerKeyId,
    String model,
    int status,
    boolean success,
    TokenUsage usage,
    long startedAtMs,
    long latencyMs,
    String errorClass,
    String message,
    String requestId) {}
