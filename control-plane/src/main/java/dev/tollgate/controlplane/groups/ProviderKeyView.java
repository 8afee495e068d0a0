package dev.tollgate.controlplane.groups;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.tollgate.controlplane.usage.UsageCounters;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A provider key as the admin API shows it: never the secret, only "…" and its last 4 characters.
 */
public record ProviderKeyView(
    long id,
    long groupId,
    @Schema(description = "As the OpenAI SDKs write it, e.g. https://api.openai.com/v1.")
        String baseUrl,
    @Schema(
            description =
                "The secret masked: … and its last 4 characters (only … for short secrets).")
        String secretHint,
    @Schema(description = "Lower value = tried first.") int priority,
    @Schema(description = "Relative share among keys of the same priority.") int weight,
    @Schema(description = "active, disabled or deleted.") String status,
    @Schema(description = "Fixed concurrency limit; null = adaptive (learned by the data planes).")
        Integer maxConcurrent,
    @Schema(description = "The newest learned limit the data planes reported; null = none.")
        Integer learnedMaxConcurrent,
    @Schema(description = "When an operator last reset the learning; null = never.")
        Instant learningResetAt,
    @JsonUnwrapped UsageCounters usage,
    @Schema(description = "Last request through this key; null = never.") Instant lastUsedAt,
    Instant createdAt,
    Instant updatedAt) {

  static ProviderKeyView of(ProviderKey key) {
    return new ProviderKeyView(
        key.id,
        key.groupId,
        key.baseUrl,
        "…" + key.secretHint,
        key.priority,
        key.weight,
        key.status,
        key.maxConcurrent,
        key.learnedMaxConcurrent,
        key.learningResetAt,
        key.usage,
        key.lastUsedAt,
        key.createdAt,
        key.updatedAt);
  }
}
