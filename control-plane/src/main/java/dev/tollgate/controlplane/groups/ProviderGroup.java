package dev.tollgate.controlplane.groups;

import dev.tollgate.controlplane.config.ReplicatedEntity;
import dev.tollgate.controlplane.usage.UsageCounters;
import jakarta.persistence.Column;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.util.Map;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * A pool of upstream credentials for one platform; maps {@code provider_group}.
 *
 * <p>The counters are advanced only by the usage flush with plain SQL. They are neither inserted
 * nor updated from here, so an admin change can never write back a stale count over one the flush
 * committed meanwhile.
 */
@Entity
@Table(name = "provider_group")
public class ProviderGroup extends ReplicatedEntity {

  public String name;

  public String platform;

  @JdbcTypeCode(SqlTypes.ARRAY)
  @Column(columnDefinition = "text[]")
  public String[] models;

  /** Public model name → upstream model name, where they differ. */
  @JdbcTypeCode(SqlTypes.JSON)
  @Column(name = "model_mapping", columnDefinition = "jsonb")
  public Map<String, String> modelMapping;

  /** "active", "disabled" or "deleted". */
  public String status;

  /** The group tried when every provider key of this one is unusable; null = none. */
  @Column(name = "fallback_group_id")
  public Long fallbackGroupId;

  @Column(name = "rpm_limit")
  public int rpmLimit;

  @Embedded public UsageCounters usage = new UsageCounters();
}
