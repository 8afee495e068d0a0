package dev.tollgate.controlplane.users;

import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Body of {@code PUT /admin/v1/users/{id}/group-limits/{group_id}}. The field is required and may
 * be null (inherit): a class with a setter, which Jackson calls only for a field the body has,
 * tells the two apart.
 */
@Schema(description = "{\"rpm_override\": null | 0 | n}")
public class GroupLimitRequest {

  @Schema(
      description =
          "null = inherit the group's rpm_limit, 0 = exempt from it, > 0 = this many requests per"
              + " minute for this user in this group.",
      nullable = true,
      required = true)
  private Integer rpmOverride;

  @Schema(hidden = true)
  private boolean rpmOverridePresent;

  /** Null when absent; empty when sent as null (inherit). */
  public Optional<Integer> rpmOverride() {
    return rpmOverridePresent ? Optional.ofNullable(rpmOverride) : null;
  }

  public void setRpmOverride(Integer rpmOverride) {
    this.rpmOverride = rpmOverride;
    this.rpmOverridePresent = true;
  }
}
