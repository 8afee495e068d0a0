package dev.tollgate.controlplane.keys;

import dev.tollgate.controlplane.admin.Fields;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The OpenAPI schema of one entry of a key's {@code ip_allow} or {@code ip_deny} (see {@link
 * dev.tollgate.controlplane.admin.ModelName} for why a class). It only documents; {@link
 * ApiKeyService} enforces it.
 */
@Schema(
    name = "Cidr",
    type = SchemaType.STRING,
    minLength = 1,
    maxLength = Fields.MAX_CIDR_LENGTH,
    description = "An IPv4 or IPv6 address or CIDR such as 10.0.0.0/8 or 2001:db8::/32.")
public final class Cidr {
  private Cidr() {}
}
