package dev.tollgate.controlplane.errors;

import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One failed request as a data plane reported it. */
@Schema(description = "One failed request, as the data plane that answered it reported it.")
public record ErrorEventView(
    @Schema(description = "Id of the error event; with occurred_at it orders the list.") long id,
    @Schema(description = "When the request ended (data-plane clock).") Instant occurredAt,
    @Schema(description = "The client key that sent the request.") long keyId,
    @Schema(
            description =
                "The provider key the request went to; null when no upstream was reached"
                    + " (refused by a limit, or no provider key available).",
            nullable = true)
        Long providerKeyId,
    @Schema(description = "The model the client asked for.") String model,
    @Schema(description = "HTTP status the client received.") int statusCode,
    @Schema(description = "Short machine-readable class of the failure (e.g. upstream_error).")
        String errorClass,
    @Schema(description = "What went wrong, truncated by the data plane.") String message,
    @Schema(description = "Time from receiving the request to its end, in milliseconds.")
        long latencyMs,
    @Schema(description = "The request id the client received (X-Request-Id).") String requestId,
    @Schema(description = "The data-plane instance that answered.") String dpInstanceId) {}
