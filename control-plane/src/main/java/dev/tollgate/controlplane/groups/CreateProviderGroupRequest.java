package dev.tollgate.controlplane.groups;

import java.util.List;
import java.util.Map;

/** Body of {@code POST /admin/v1/provider-groups}. */
public record CreateProviderGroupRequest(
    String name,
    String platform,
    List<String> models,
    Map<String, String> modelMapping,
    Integer rpmLimit,
    Long fallbackGroupId) {}
