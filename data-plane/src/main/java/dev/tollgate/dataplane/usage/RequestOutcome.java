package dev.tollgate.dataplane.usage;

import dev.tollgate.dataplane.upstream.TokenUsage;
import java.util.List;

/**
 * What one answered request contributes to the counters.
 *
 * @param keyId api_key.id of the authenticated client key
 * @param providerKeyId provider_key.id that produced the answer (the last try), or 0 when no
 *     upstream was tried; its tokens are counted on this provider key
 * @param model the model usage is counted under: the public model name when a group of the
 *     configuration serves it, {@link #OTHER_MODEL} when the body named a model no group serves (so
 *     that what clients send cannot grow the number of buckets), {@link #NO_MODEL} when the request
 *     was answered before its body named a model
 * @param requestedModel the model as the client wrote it, for error events ("" when none)
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
    String requestedModel,
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

  /** The model of a request answered before its body named one (bad JSON, no model, too large). */
  public static final String NO_MODEL = "(none)";

  /** The model of a request whose body named a model that no provider group serves. */
  public static final String OTHER_MODEL = "(other)";

  public RequestOutcome {
    attempts = List.copyOf(attempts);
    requestedModel = requestedModel == null ? "" : requestedModel;
    if (model == null || model.isEmpty()) {
      model = NO_MODEL;
    }
  }

  /** True when the client was answered 429, by a Tollgate limit or by the upstream. */
  public boolean rateLimited() {
    return status == 429;
  }
}
