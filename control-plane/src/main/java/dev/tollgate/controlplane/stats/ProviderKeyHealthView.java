package dev.tollgate.controlplane.stats;

import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(
    description =
        "A provider key's health as the data planes saw it: each reports its own circuit breaker,"
            + " 429 cooldown and errors in a row in its usage flush. Only reports younger than"
            + " TOLLGATE_PROVIDER_HEALTH_MAX_AGE (2 min) count; a key no data plane reported"
            + " lately is closed, not cooling down.")
public record ProviderKeyHealthView(
    @Schema(description = "The provider key.") long providerKeyId,
    @Schema(
            description =
                "The worst circuit state a data plane reported: open, then half_open, else"
                    + " closed.",
            enumeration = {"closed", "half_open", "open"})
        String circuitState,
    @Schema(description = "Data planes with a recent report of this key.") int dataPlanes,
    @Schema(description = "Of them, those whose circuit for the key is open.") int openOn,
    @Schema(description = "Of them, those whose circuit for the key is half-open.") int halfOpenOn,
    @Schema(
            description =
                "Until when a data plane rests the key after an upstream 429 (the latest such"
                    + " time); null when none does now.",
            nullable = true)
        Instant cooldownUntil,
    @Schema(
            description =
                "The most upstream errors in a row since the key's last success, over the data"
                    + " planes.")
        int consecutiveFailures,
    @Schema(
            description = "When the newest recent report was observed; null without one.",
            nullable = true)
        Instant reportedAt) {}
