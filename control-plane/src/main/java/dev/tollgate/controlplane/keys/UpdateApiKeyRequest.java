package dev.tollgate.controlplane.keys;

import dev.tollgate.controlplane.admin.Fields;
import dev.tollgate.controlplane.admin.ModelName;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Body of {@code PATCH /admin/v1/keys/{id}}: only the fields present change. A class with setters
 * rather than a record because {@code expires_at} must tell absent (unchanged) from null (never
 * expires): Jackson calls a setter only for a field the body has.
 */
@Schema(description = "Fields to change; absent fields stay as they are.")
public class UpdateApiKeyRequest {

  @Schema(description = "1 to 200 characters.", minLength = 1, maxLength = Fields.MAX_NAME_LENGTH)
  private String name;

  @Schema(
      description = "DELETE revokes; reset-quota re-activates a quota_exhausted key.",
      enumeration = {"active", "disabled"})
  private String status;

  @Schema(description = "ISO-8601 instant in the future, or null: never expires.", nullable = true)
  private Instant expiresAt;

  @Schema(hidden = true)
  private boolean expiresAtPresent;

  @Schema(description = "Tokens the key may use in all; -1 = unlimited.")
  private Long quotaLimit;

  @Schema(description = "Requests per minute; 0 = no limit.")
  private Integer rpmLimit;

  @Schema(description = "Requests in flight; 0 = no limit.")
  private Integer concurrencyLimit;

  @Schema(description = "Tokens per minute, charged after each response; 0 = no limit.")
  private Integer tpmLimit;

  @Schema(
      description =
          "Models the key may use, at most 1000 distinct names; empty = every model of its groups.",
      type = SchemaType.ARRAY,
      implementation = ModelName.class,
      maxItems = Fields.MAX_MODELS)
  private List<String> allowedModels;

  @Schema(
      description = "At most 256 CIDRs (IPv4 or IPv6) the client must be in; empty = any.",
      type = SchemaType.ARRAY,
      implementation = Cidr.class,
      maxItems = Fields.MAX_CIDRS)
  private List<String> ipAllow;

  @Schema(
      description = "At most 256 CIDRs (IPv4 or IPv6) the client must not be in.",
      type = SchemaType.ARRAY,
      implementation = Cidr.class,
      maxItems = Fields.MAX_CIDRS)
  private List<String> ipDeny;

  @Schema(
      description =
          "Provider groups the key may be routed to, at most 100 distinct ids (replaces the"
              + " bindings).",
      maxItems = Fields.MAX_GROUP_IDS)
  private List<Long> groupIds;

  public String name() {
    return name;
  }

  public String status() {
    return status;
  }

  /** Null when absent; empty when sent as null (never expires). */
  public Optional<Instant> expiresAt() {
    return expiresAtPresent ? Optional.ofNullable(expiresAt) : null;
  }

  public Long quotaLimit() {
    return quotaLimit;
  }

  public Integer rpmLimit() {
    return rpmLimit;
  }

  public Integer concurrencyLimit() {
    return concurrencyLimit;
  }

  public Integer tpmLimit() {
    return tpmLimit;
  }

  public List<String> allowedModels() {
    return allowedModels;
  }

  public List<String> ipAllow() {
    return ipAllow;
  }

  public List<String> ipDeny() {
    return ipDeny;
  }

  public List<Long> groupIds() {
    return groupIds;
  }

  public void setName(String name) {
    this.name = name;
  }

  public void setStatus(String status) {
    this.status = status;
  }

  public void setExpiresAt(Instant expiresAt) {
    this.expiresAt = expiresAt;
    this.expiresAtPresent = true;
  }

  public void setQuotaLimit(Long quotaLimit) {
    this.quotaLimit = quotaLimit;
  }

  public void setRpmLimit(Integer rpmLimit) {
    this.rpmLimit = rpmLimit;
  }

  public void setConcurrencyLimit(Integer concurrencyLimit) {
    this.concurrencyLimit = concurrencyLimit;
  }

  public void setTpmLimit(Integer tpmLimit) {
    this.tpmLimit = tpmLimit;
  }

  public void setAllowedModels(List<String> allowedModels) {
    this.allowedModels = allowedModels;
  }

  public void setIpAllow(List<String> ipAllow) {
    this.ipAllow = ipAllow;
  }

  public void setIpDeny(List<String> ipDeny) {
    this.ipDeny = ipDeny;
  }

  public void setGroupIds(List<Long> groupIds) {
    this.groupIds = groupIds;
  }
}
