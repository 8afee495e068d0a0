package dev.tollgate.controlplane.users;

import dev.tollgate.controlplane.admin.Fields;
import dev.tollgate.controlplane.admin.ListQuery;
import dev.tollgate.controlplane.admin.ListRequest;
import dev.tollgate.controlplane.admin.ProblemException;
import dev.tollgate.controlplane.audit.AuditLog;
import dev.tollgate.controlplane.config.ConfigRevisions;
import dev.tollgate.controlplane.replica.ReadConnections;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

@ApplicationScoped
public class UserService {

  static final String ENTITY = "user";

  public static final ListRequest.Spec SPEC =
      new ListRequest.Spec(
          List.of("created"),
          Set.of("active", "disabled", "deleted"),
          Set.of("deleted"),
          false,
          false,
          true,
          false);

  private static final Map<String, ListQuery.SortColumn> SORTS =
      Map.of("created", new ListQuery.SortColumn("u.id", "int8"));

  private final ConfigRevisions revisions;
  private final AuditLog audit;
  private final EntityManager em;
  private final ReadConnections reads;

  UserService(ConfigRevisions revisions, AuditLog audit, EntityManager em, ReadConnections reads) {
    this.revisions = revisions;
    this.audit = audit;
    this.em = em;
    this.reads = reads;
  }

  @Transactional
  public UserView create(CreateUserRequest request) {
    Fields.required("body", request);
    var user = new AppUser();
    user.name = Fields.name("name", request.name());
    user.status = "active";
    user.rpmLimit = Fields.nonNegative("rpm_limit", request.rpmLimit(), 0);
    user.concurrencyLimit = Fields.nonNegative("concurrency_limit", request.concurrencyLimit(), 0);
    revisions.stamp(user);
    user.persist();
    UserView view = UserView.of(user);
    audit.record("create", ENTITY, user.id, null, view);
    return view;
  }

  @Transactional
  public UserView get(long id) {
    AppUser user = AppUser.findById(id);
    if (user == null) {
      throw ProblemException.notFound("user", id);
    }
    return UserView.of(user);
  }

  @Transactional
  public UserView update(long id, UpdateUserRequest request) {
    Fields.required("body", request);
    String status = request.status();
    if (status != null && !status.equals("active") && !status.equals("disabled")) {
      throw ProblemException.badRequest(
          "status", "status must be \"active\" or \"disabled\" (DELETE deletes a user)");
    }
    String name = request.name() == null ? null : Fields.name("name", request.name());
    Integer rpmLimit =
        request.rpmLimit() == null ? null : Fields.nonNegative("rpm_limit", request.rpmLimit(), 0);
    Integer concurrencyLimit =
        request.concurrencyLimit() == null
            ? null
            : Fields.nonNegative("concurrency_limit", request.concurrencyLimit(), 0);
    AppUser user = findLive(id);
    UserView before = UserView.of(user);
    if (name != null) {
      user.name = name;
    }
    if (status != null) {
      user.status = status;
    }
    if (rpmLimit != null) {
      user.rpmLimit = rpmLimit;
    }
    if (concurrencyLimit != null) {
      user.concurrencyLimit = concurrencyLimit;
    }
    if (UserView.of(user).equals(before)) {
      return before;
    }
    revisions.stamp(user);
    UserView after = UserView.of(user);
    audit.record("update", ENTITY, id, before, after);
    return after;
  }

  /**
   * Deletes a user: the row stays with status deleted (replicated as STATUS_DELETED, so data planes
   * drop it) and every key of the user that is not revoked yet is revoked in the same transaction
   * and revision: a deleted user's keys never work again, and no key is left pointing at a user
   * data planes no longer know. Deleting a deleted user changes nothing.
   */
  @Transactional
  public void delete(long id) {
    AppUser user = AppUser.findById(id, LockModeType.PESSIMISTIC_WRITE);
    if (user == null) {
      throw ProblemException.notFound("user", id);
    }
    if (user.status.equals("deleted")) {
      return;
    }
    UserView before = UserView.of(user);
    user.status = "deleted";
    revisions.stamp(user);
    em.flush();
    int revoked =
        em.createNativeQuery(
                "UPDATE api_key SET status = 'revoked', config_revision = ?1, updated_at = now()"
                    + " WHERE user_id = ?2 AND status <> 'revoked'")
            .setParameter(1, user.configRevision)
            .setParameter(2, id)
            .executeUpdate();
    Map<String, Object> after = new HashMap<>();
    after.put("user", UserView.of(user));
    after.put("keys_revoked", revoked);
    audit.record("delete", ENTITY, id, before, after);
  }

  @Transactional
  public Object list(ListRequest request) {
    var query = new ListQuery("app_user u", "u.id", SORTS).statuses("u.status", request);
    if (request.search() != null) {
      query.where("u.name ILIKE ?", "%" + ListQuery.escapeLike(request.search()) + "%");
    }
    query.range("u.created_at", request.createdFrom(), request.createdTo());
    return query.answer(reads, request, AppUser.class, UserView::of);
  }

  /** A user that exists and is not deleted. */
  public static AppUser findLive(long id) {
    AppUser user = AppUser.findById(id, LockModeType.PESSIMISTIC_WRITE);
    if (user == null) {
      throw ProblemException.notFound("user", id);
    }
    if (user.status.equals("deleted")) {
      throw ProblemException.conflict("id", "user " + id + " is deleted");
    }
    return user;
  }
}
