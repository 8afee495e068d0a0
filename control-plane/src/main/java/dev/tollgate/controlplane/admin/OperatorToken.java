package dev.tollgate.controlplane.admin;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** An operator's bearer token; maps {@code operator_token}. Only the SHA-256 is kept. */
@Entity
@Table(name = "operator_token")
public class OperatorToken extends PanacheEntityBase {

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  public Long id;

  public String name;

  /** viewer or admin. */
  public String role;

  public String prefix;

  @Column(name = "token_hash", updatable = false)
  public String tokenHash;

  @Column(name = "created_by", updatable = false)
  public String createdBy;

  @Column(name = "created_at", updatable = false)
  public Instant createdAt;

  @Column(name = "revoked_at")
  public Instant revokedAt;

  OperatorTokenView view() {
    return new OperatorTokenView(id, name, role, prefix, createdBy, createdAt, revokedAt);
  }
}
