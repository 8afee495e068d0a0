package dev.tollgate.controlplane.admin;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The OpenAPI schema of one model name inside a list or map (a group's {@code models} and {@code
 * model_mapping}, a key's {@code allowed_models}): annotations cannot bound a list's items, so
 * those fields point here. It only documents; {@link Fields} enforces the same bound.
 */
@Schema(
    name = "ModelName",
    type = SchemaType.STRING,
    minLength = 1,
    maxLength = Fields.MAX_NAME_LENGTH,
    description = "A model name, 1 to 200 characters.")
public final class ModelName {
  private ModelName() {}
}
