package dev.tollgate.controlplane.groups;

import dev.tollgate.controlplane.admin.Fields;
import dev.tollgate.controlplane.admin.ModelName;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Body of {@code POST /admin/v1/provider-groups}. */
public record CreateProviderGroupRequest(
    @Schema(
            description = "Unique, 1 to 200 characters. Required.",
            minLength = 1,
            maxLength = Fields.MAX_NAME_LENGTH)
        String name,
    @Schema(
            description = "Required.",
            enumeration = {"openai", "anthropic"})
        String platform,
    @Schema(
            description =
                "Public model names the group serves: 1 to 1000 distinct names. Required.",
            type = SchemaType.ARRAY,
            implementation = ModelName.class,
            minItems = 1,
            maxItems = Fields.MAX_MODELS)
        List<String> models,
    @Schema(
            description =
                "Public model name to upstream model name (1 to 200 characters); keys must be in"
                    + " models.",
            type = SchemaType.OBJECT,
            additionalProperties = ModelName.class,
            maxProperties = Fields.MAX_MODELS)
        Map<String, String> modelMapping,
    @Schema(description = "Requests per minute across the group; 0 (default) = no limit.")
        Integer rpmLimit,
    @Schema(
            description =
                "Group tried when every provider key of this one is unusable; absent = none.")
        Long fallbackGroupId) {}
