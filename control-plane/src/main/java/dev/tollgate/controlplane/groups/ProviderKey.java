package dev.tollgate.controlplane.groups;

import dev.tollgate.controlplane.config.ReplicatedEntity;
import dev.tollgate.controlplane.usage.UsageCounters;
import jakarta.persistence.Column;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * One upstream credential in a provider group; maps {@code provider_key}.
 *
 * <p>Counters, {@code last_used_at} and {@code learned_max_concurrent} belong to the data plane's
 * reports: they are neither inserted nor updated from here (see {@link ProviderGroup}).
 */
@Entity
@Table(name = "provider_key")
public class ProviderKey extends ReplicatedEntity {

  @Column(name = "group_id")
  public long groupId;

  @Column(name = "base_url")
  public String baseUrl;

  /** Nonce + AES-256-GCM ciphertext and tag, see {@link SecretCipher}. */
  @Column(name = "secret_ciphertext")
  public byte[] secretCiphertext;

  /** The secret's last 4 characters (empty for secrets shorter than 8). */
  @Column(name = "secret_hint")
  public String secretHint;

  public int priority;

  public int weight;

  /** "active", "disabled" or "deleted". */
  public String status;

  /** NULL = adaptive: the data plane learns the limit. */
  @Column(name = "max_concurrent")
  public Integer maxConcurrent;

  @Column(name = "learned_max_concurrent", insertable = false, updatable = false)
  public Integer learnedMaxConcurrent;

  /** When an operator last reset the learned limit; null = never. */
  @Column(name = "learning_reset_at")
  public Instant learningResetAt;

  @Embedded public UsageCounters usage = new UsageCounters();

  @Column(name = "last_used_at", insertable = false, updatable = false)
  public Instant lastUsedAt;
}
