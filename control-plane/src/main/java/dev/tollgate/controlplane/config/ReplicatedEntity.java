package dev.tollgate.controlplane.config;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.MappedSuperclass;
import java.time.Instant;

/**
 * A row data planes replicate: users, api keys, provider groups and provider keys. Every change to
 * one goes through {@link ConfigRevisions#stamp}, which gives it the revision data planes follow.
 */
@MappedSuperclass
public abstract class ReplicatedEntity extends PanacheEntityBase {

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  public Long id;

  @Column(name = "created_at", updatable = false)
  public Instant createdAt;

  @Column(name = "updated_at")
  public Instant updatedAt;

  /** The config revision of the row's last change. */
  @Column(name = "config_revision")
  public long configRevision;
}
