package dev.tollgate.controlplane.groups;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.tollgate.controlplane.usage.UsageCounters;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A provider group as the admin API shows it, with the counters the usage flush keeps. */
public record ProviderGroupView(
    long id,
    String name,
    String platform,
    List<String> models,
    Map<String, String> modelMapping,
    String status,
    int rpmLimit,
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
