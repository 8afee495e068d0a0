package dev.tollgate.controlplane.groups;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.tollgate.controlplane.usage.UsageCounters;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A provider group as the admin API shows it, with the counters the usage flush keeps. */
public record ProviderGroupView(
    long id,
    String name,
    @Schema(description = "openai or anthropic.") String platform,
    @Schema(description = "Public model names the group serves.") List<String> models,
    @Schema(description = "Public model name to upstream model name, where they differ.")
        Map<String, String> modelMapping,
    @Schema(description = "active, disabled or deleted.") String status,
    @Schema(description = "Requests per minute across the group; 0 = no limit.") int rpmLimit,
    @Schema(
            description =
                "Group tried when every provider key of this one is unusable; null = none.")
        Long fallbackGroupId,
    @JsonUnwrapped UsageCounters usage,
    Instant createdAt,
    Instant updatedAt) {

  static ProviderGroupView of(ProviderGroup group) {
    return new ProviderGroupView(
        group.id,
        group.name,
        group.platform,
        List.of(group.models),
        group.modelMapping,
        group.status,
        group.rpmLimit,
        group.fallbackGroupId,
        group.usage,
        group.createdAt,
        group.updatedAt);
  }
}
