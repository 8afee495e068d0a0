package dev.tollgate.controlplane.users;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** An owner of api keys (a tenant); maps {@code app_user}. */
@Entity
@Table(name = "app_user")
public class AppUser extends PanacheEntityBase {

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  public Long id;

  public String name;

  /** "active" or "disabled". */
  public String status;

  @Column(name = "rpm_limit")
  public int rpmLimit;

  @Column(name = "concurrency_limit")
  public int concurrencyLimit;

  @Column(name = "created_at", updatable = false)
  public Instant createdAt;

  @Column(name = "updated_at")
  public Instant updatedAt;

  @Column(name = "config_revision")
  public long configRevision;
}
