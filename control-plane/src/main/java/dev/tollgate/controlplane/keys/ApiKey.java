package dev.tollgate.controlplane.keys;

import dev.tollgate.controlplane.config.ReplicatedEntity;
import dev.tollgate.controlplane.usage.UsageCounters;
import jakarta.persistence.CollectionTable;
import jakarta.persistence.Column;
import jakarta.persistence.ElementCollection;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.OrderBy;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * A client credential ("tg-…"); maps {@code api_key} and, through {@link #groupIds}, {@code
 * api_key_group}. Only the SHA-256 of the secret is kept.
 *
 * <p>Counters, {@code quota_used} and {@code last_accessed_at} are advanced only by the usage flush
 * with plain SQL; they are neither inserted nor updated from here, so a PATCH racing a flush can
 * never write back stale values.
 */
@Entity
@Table(name = "api_key")
public class ApiKey extends ReplicatedEntity {

  @Column(name = "user_id", updatable = false)
  public long userId;

  public String name;

  /** Changes only when the key is rotated, with the hash. */
  public String prefix;

  @Column(name = "token_hash")
  public String tokenHash;

  /** active, disabled, expired, quota_exhausted or revoked. */
  public String status;

  @Column(name = "expires_at")
  public Instant expiresAt;

  @Column(name = "quota_limit")
  public long quotaLimit;

  @Column(name = "quota_used", insertable = false, updatable = false)
  public long quotaUsed;

  @Column(name = "rpm_limit")
  public int rpmLimit;

  @Column(name = "concurrency_limit")
  public int concurrencyLimit;

  /** Tokens per minute; 0 = no limit. */
  @Column(name = "tpm_limit")
  public int tpmLimit;

  @JdbcTypeCode(SqlTypes.ARRAY)
  @Column(name = "allowed_models", columnDefinition = "text[]")
  public String[] allowedModels;

  @JdbcTypeCode(SqlTypes.ARRAY)
  @Column(name = "ip_allow", columnDefinition = "text[]")
  public String[] ipAllow;

  @JdbcTypeCode(SqlTypes.ARRAY)
  @Column(name = "ip_deny", columnDefinition = "text[]")
  public String[] ipDeny;

  @ElementCollection(fetch = FetchType.EAGER)
  @CollectionTable(name = "api_key_group", joinColumns = @JoinColumn(name = "key_id"))
  @Column(name = "group_id")
  @OrderBy
  public Set<Long> groupIds = new TreeSet<>();

  @Embedded public UsageCounters usage = new UsageCounters();

  @Column(name = "last_accessed_at", insertable = false, updatable = false)
  public Instant lastAccessedAt;
}
