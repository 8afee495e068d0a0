package dev.tollgate.controlplane.users;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;

/** A (user, provider group) requests-per-minute override; maps {@code user_group_limit}. */
@Entity
@Table(name = "user_group_limit")
@IdClass(UserGroupLimit.Key.class)
public class UserGroupLimit extends PanacheEntityBase {

  /** The composite primary key. */
  public record Key(Long userId, Long groupId) implements Serializable {
    public Key() {
      this(null, null);
    }
  }

  @Id
  @Column(name = "user_id")
  public Long userId;

  @Id
  @Column(name = "group_id")
  public Long groupId;

  /** NULL = inherit, 0 = exempt, > 0 = limit. */
  @Column(name = "rpm_override")
  public Integer rpmOverride;

  @Column(name = "created_at", updatable = false)
  public Instant createdAt;

  @Column(name = "updated_at")
  public Instant updatedAt;

  @Column(name = "config_revision")
  public long configRevision;

  GroupLimitView view() {
    return new GroupLimitView(userId, groupId, rpmOverride, createdAt, updatedAt);
  }
}
