package dev.tollgate.controlplane.groups;

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
    long requests,
    long successRequests,
    long failureRequests,
    long promptTokens,
    long completionTokens,
    long totalTokens,
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
        group.requests,
        group.successRequests,
        group.failureRequests,
        group.promptTokens,
        group.completionTokens,
        group.totalTokens,
        group.createdAt,
        group.updatedAt);
  }
}
