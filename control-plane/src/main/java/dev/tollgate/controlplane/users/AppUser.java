package dev.tollgate.controlplane.users;

import dev.tollgate.controlplane.config.ReplicatedEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;

/** An owner of api keys (a tenant); maps {@code app_user}. */
@Entity
@Table(name = "app_user")
public class AppUser extends ReplicatedEntity {

  public String name;

  /** "active" or "disabled". */
  public String status;

  @Column(name = "rpm_limit")
  public int rpmLimit;

  @Column(name = "concurrency_limit")
  public int concurrencyLimit;
}
