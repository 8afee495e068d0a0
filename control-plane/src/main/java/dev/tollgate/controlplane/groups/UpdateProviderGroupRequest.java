package dev.tollgate.controlplane.groups;

import dev.tollgate.controlplane.admin.Fields;
import dev.tollgate.controlplane.admin.ModelName;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Body of {@code PATCH /admin/v1/provider-groups/{id}}: only the fields present change. A class
 * with setters because {@code fallback_group_id} must tell absent (unchanged) from null (no
 * fallback): Jackson calls a setter only for a field the body has.
 */
@Schema(description = "Fields to change; absent fields stay as they are.")
public class UpdateProviderGroupRequest {

  @Schema(
      description = "Unique, 1 to 200 characters.",
      minLength = 1,
      maxLength = Fields.MAX_NAME_LENGTH)
  private String name;

  @Schema(enumeration = {"openai", "anthropic"})
  private String platform;

  @Schema(
      description = "Public model names the group serves: 1 to 1000 distinct names.",
      type = SchemaType.ARRAY,
      implementation = ModelName.class,
      minItems = 1,
      maxItems = Fields.MAX_MODELS)
  private List<String> models;

  @Schema(
      description =
          "Public model name → upstream model name (1 to 200 characters); keys must be in models.",
      type = SchemaType.OBJECT,
      additionalProperties = ModelName.class,
      maxProperties = Fields.MAX_MODELS)
  private Map<String, String> modelMapping;

  @Schema(
      description = "DELETE deletes.",
      enumeration = {"active", "disabled"})
  private String status;

  @Schema(description = "Requests per minute across the group; 0 = no limit.")
  private Integer rpmLimit;

  @Schema(
      description =
          "Group tried when every provider key of this one is unusable; null = none. Must exist,"
              + " not be this group, and not lead back to it.",
      nullable = true)
  private Long fallbackGroupId;

  @Schema(hidden = true)
  private boolean fallbackGroupIdPresent;

  public String name() {
    return name;
  }

  public String platform() {
    return platform;
  }

  public List<String> models() {
    return models;
  }

  public Map<String, String> modelMapping() {
    return modelMapping;
  }

  public String status() {
    return status;
  }

  public Integer rpmLimit() {
    return rpmLimit;
  }

  /** Null when absent; empty when sent as null (no fallback). */
  public Optional<Long> fallbackGroupId() {
    return fallbackGroupIdPresent ? Optional.ofNullable(fallbackGroupId) : null;
  }

  public void setName(String name) {
    this.name = name;
  }

  public void setPlatform(String platform) {
    this.platform = platform;
  }

  public void setModels(List<String> models) {
    this.models = models;
  }

  public void setModelMapping(Map<String, String> modelMapping) {
    this.modelMapping = modelMapping;
  }

  public void setStatus(String status) {
    this.status = status;
  }

  public void setRpmLimit(Integer rpmLimit) {
    this.rpmLimit = rpmLimit;
  }

  public void setFallbackGroupId(Long fallbackGroupId) {
    this.fallbackGroupId = fallbackGroupId;
    this.fallbackGroupIdPresent = true;
  }
}
