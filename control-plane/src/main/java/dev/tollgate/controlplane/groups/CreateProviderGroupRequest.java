package dev.tollgate.controlplane.groups;

import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Body of {@code POST /admin/v1/provider-groups}. */
public record CreateProviderGroupRequest(
    @Schema(description = "Unique, 1 to 200 characters. Required.") String name,
    @Schema(description = "openai or anthropic. Required.") String platform,
    @Schema(description = "Public model names the group serves (not empty). Required.")
        List<String> models,
    @Schema(description = "Public model name to upstream model name; keys must be in models.")
        Map<String, String> modelMapping,
    @Schema(description = "Requests per minute across the group; 0 (default) = no limit.")
        Integer rpmLimit,
    @Schema(
            description =
                "Group tried when every provider key of this one is unusable; absent = none.")
        Long fallbackGroupId) {}
