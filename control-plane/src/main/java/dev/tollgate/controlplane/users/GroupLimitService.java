package dev.tollgate.controlplane.users;

import dev.tollgate.controlplane.admin.ProblemException;
import dev.tollgate.controlplane.audit.AuditLog;
import dev.tollgate.controlplane.config.ConfigRevisions;
import dev.tollgate.controlplane.groups.ProviderGroup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

/**
 * (user, provider group) RPM overrides, in {@code user_group_limit}. A row is never deleted:
 * clearing an override sets it to NULL with a new revision, so data planes learn that it is gone.
 */
@ApplicationScoped
public class GroupLimitService {

  static final String ENTITY = "user_group_limit";

  private final ConfigRevisions revisions;
  private final AuditLog audit;

  GroupLimitService(ConfigRevisions revisions, AuditLog audit) {
    this.revisions = revisions;
    this.audit = audit;
  }

  @Transactional
  public GroupLimitView put(long userId, long groupId, GroupLimitRequest request) {
    if (request == null || request.rpmOverride() == null) {
      throw ProblemException.badRequest(
          "rpm_override", "rpm_override is required: null inherits, 0 exempts, > 0 limits");
    }
    Integer override = request.rpmOverride().orElse(null);
    if (override != null && override < 0) {
      throw ProblemException.badRequest(
          "rpm_override", "rpm_override must be null, 0 or a positive number of requests");
    }
    UserService.findLive(userId);
    ProviderGroup group = ProviderGroup.findById(groupId);
    if (group == null || group.status.equals("deleted")) {
      throw ProblemException.notFound("provider group", groupId);
    }
    return write(userId, groupId, override, "put");
  }

  /** Clears the override (NULL: inherit); 404 when there never was one. */
  @Transactional
  public void clear(long userId, long groupId) {
    if (find(userId, groupId) == null) {
      throw new ProblemException(
          404,
          "Not Found",
          "user " + userId + " has no override for provider group " + groupId,
          "group_id");
    }
    write(userId, groupId, null, "clear");
  }

  @Transactional
  public List<GroupLimitView> forUser(long userId) {
    if (AppUser.findById(userId) == null) {
      throw ProblemException.notFound("user", userId);
    }
    return UserGroupLimit.<UserGroupLimit>list("userId = ?1 order by groupId", userId).stream()
        .map(UserGroupLimit::view)
        .toList();
  }

  @Transactional
  public List<GroupLimitView> forGroup(long groupId) {
    if (ProviderGroup.findById(groupId) == null) {
      throw ProblemException.notFound("provider group", groupId);
    }
    return UserGroupLimit.<UserGroupLimit>list("groupId = ?1 order by userId", groupId).stream()
        .map(UserGroupLimit::view)
        .toList();
  }

  private GroupLimitView write(long userId, long groupId, Integer override, String action) {
    UserGroupLimit limit =
        UserGroupLimit.findById(
            new UserGroupLimit.Key(userId, groupId), LockModeType.PESSIMISTIC_WRITE);
    GroupLimitView before = limit == null ? null : limit.view();
    if (limit != null && Objects.equals(limit.rpmOverride, override)) {
      return before;
    }
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    if (limit == null) {
      limit = new UserGroupLimit();
      limit.userId = userId;
      limit.groupId = groupId;
      limit.createdAt = now;
    }
    limit.rpmOverride = override;
    limit.updatedAt = now;
    limit.configRevision = revisions.next();
    limit.persist();
    GroupLimitView after = limit.view();
    audit.record(action, ENTITY, userId + ":" + groupId, before, after);
    return after;
  }

  private static UserGroupLimit find(long userId, long groupId) {
    return UserGroupLimit.findById(new UserGroupLimit.Key(userId, groupId));
  }
}
