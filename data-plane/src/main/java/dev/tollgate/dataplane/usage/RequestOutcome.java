package dev.tollgate.dataplane.usage;

import dev.tollgate.dataplane.upstream.TokenUsage;
import java.util.List;

/**
 * What one answered request contributes to the counters.
 *
 * @param keyId api_key.id of the authenticated client key
 * @param providerKeyId provider_key.id that produced the answer (the last try), or 0 when no
 *     upstream was tried; its tokens are counted on this provider key
 * @param model the model the client asked for (may be empty when the body had none)
 * @param status HTTP status the client received
 * @param success true for a 2xx answered completely
 * @param usage tokens the upstream reported, or estimated ({@link TokenUsage#NONE} when none)
 * @param estimated true when {@code usage} was estimated from the text because the upstream sent
 *     none (e.g. the client disconnected mid-stream)
 * @param startedAtMs when the request started, Unix epoch milliseconds
 * @param latencyMs total latency until the answer ended, milliseconds
 * @param errorClass short machine-readable class of a failure, null on success
 * @param message human-readable failure message, null on success
 * @param requestId the request id echoed to the client
 * @param attempts every upstream try in order (empty when none was made); the last one is {@code
 *     providerKeyId}'s
 */
public record RequestOutcome(
    long keyId,
    long providerKeyId,
    String model,
    int status,
    boolean success,
    TokenUsage usage,
    boolean estimated,
    long startedAtMs,
    long latencyMs,
    String errorClass,
    String message,
    String requestId,
    List<UpstreamAttempt> attempts) {

  public RequestOutcome {
    attempts = List.copyOf(attempts);
  }

  /** True when the client was answered 429, by a Tollgate limit or by the upstream. */
  public boolean rateLimited() {
    return status == 429;
  }
}
