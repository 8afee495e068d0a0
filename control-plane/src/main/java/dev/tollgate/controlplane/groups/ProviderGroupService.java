package dev.tollgate.controlplane.groups;

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
import jakarta.persistence.PersistenceException;
import jakarta.transaction.Transactional;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hibernate.exception.ConstraintViolationException;

@ApplicationScoped
public class ProviderGroupService {

  /** Platforms the data plane can talk to (the schema's CHECK on provider_group.platform). */
  private static final Set<String> PLATFORMS = Set.of("openai", "anthropic");

  static final String ENTITY = "provider_group";

  /** Serializes fallback changes, so two concurrent ones cannot close a cycle between them. */
  private static final long FALLBACK_LOCK_ID = 0x746f6c6c_0004L;

  public static final ListRequest.Spec SPEC =
      new ListRequest.Spec(
          List.of("created", "requests", "tokens"),
          Set.of("active", "disabled", "deleted"),
          Set.of("deleted"),
          false,
          false,
          true,
          false);

  private static final Map<String, ListQuery.SortColumn> SORTS =
      Map.of(
          "created", new ListQuery.SortColumn("g.id", "int8"),
          "requests", new ListQuery.SortColumn("g.requests", "int8"),
          "tokens", new ListQuery.SortColumn("g.total_tokens", "int8"));

  private final ConfigRevisions revisions;
  private final AuditLog audit;
  private final EntityManager em;
  private final ReadConnections reads;

  ProviderGroupService(
      ConfigRevisions revisions, AuditLog audit, EntityManager em, ReadConnections reads) {
    this.revisions = revisions;
    this.audit = audit;
    this.em = em;
    this.reads = reads;
  }

  @Transactional
  public ProviderGroupView create(CreateProviderGroupRequest request) {
    Fields.required("body", request);
    String name = Fields.name("name", request.name());
    String platform = Fields.required("platform", request.platform());
    if (!PLATFORMS.contains(platform)) {
      throw ProblemException.badRequest("platform", "platform must be one of " + PLATFORMS);
    }
    List<String> models = Fields.distinctNames("models", request.models(), true);
    Map<String, String> mapping = modelMapping(request.modelMapping(), models);
    int rpmLimit = Fields.nonNegative("rpm_limit", request.rpmLimit(), 0);
    // The UNIQUE constraint still guards a concurrent twin; this check gives the usual case a 409.
    if (ProviderGroup.count("name", name) > 0) {
      throw ProblemException.conflict("name", "a provider group named \"" + name + "\" exists");
    }
    if (request.fallbackGroupId() != null) {
      requireFallback(null, request.fallbackGroupId());
    }

    var group = new ProviderGroup();
    group.name = name;
    group.platform = platform;
    group.models = models.toArray(String[]::new);
    group.modelMapping = mapping;
    group.status = "active";
    group.rpmLimit = rpmLimit;
    group.fallbackGroupId = request.fallbackGroupId();
    revisions.stamp(group);
    persistChecked(group, name);
    ProviderGroupView view = ProviderGroupView.of(group);
    audit.record("create", ENTITY, group.id, null, view);
    return view;
  }

  @Transactional
  public ProviderGroupView update(long id, UpdateProviderGroupRequest request) {
    Fields.required("body", request);
    String name = request.name() == null ? null : Fields.name("name", request.name());
    String platform = request.platform();
    if (platform != null && !PLATFORMS.contains(platform)) {
      throw ProblemException.badRequest("platform", "platform must be one of " + PLATFORMS);
    }
    String status = request.status();
    if (status != null && !status.equals("active") && !status.equals("disabled")) {
      throw ProblemException.badRequest(
          "status", "status must be \"active\" or \"disabled\" (DELETE deletes a group)");
    }
    List<String> models =
        request.models() == null ? null : Fields.distinctNames("models", request.models(), true);
    Integer rpmLimit =
        request.rpmLimit() == null ? null : Fields.nonNegative("rpm_limit", request.rpmLimit(), 0);
    ProviderGroup group = findLive(id);
    ProviderGroupView before = ProviderGroupView.of(group);
    List<String> newModels = models != null ? models : List.of(group.models);
    Map<String, String> mapping =
        modelMapping(
            request.modelMapping() != null ? request.modelMapping() : group.modelMapping,
            newModels);
    if (name != null && !name.equals(group.name) && ProviderGroup.count("name", name) > 0) {
      throw ProblemException.conflict("name", "a provider group named \"" + name + "\" exists");
    }
    if (request.fallbackGroupId() != null && request.fallbackGroupId().isPresent()) {
      requireFallback(id, request.fallbackGroupId().get());
    }
    if (name != null) {
      group.name = name;
    }
    if (platform != null) {
      group.platform = platform;
    }
    if (status != null) {
      group.status = status;
    }
    group.models = newModels.toArray(String[]::new);
    group.modelMapping = mapping;
    if (rpmLimit != null) {
      group.rpmLimit = rpmLimit;
    }
    if (request.fallbackGroupId() != null) {
      group.fallbackGroupId = request.fallbackGroupId().orElse(null);
    }
    if (ProviderGroupView.of(group).equals(before)) {
      return before;
    }
    revisions.stamp(group);
    try {
      em.flush();
    } catch (PersistenceException e) {
      if (violates(e, "provider_group_name_key")) {
        throw ProblemException.conflict("name", "a provider group named \"" + name + "\" exists");
      }
      throw e;
    }
    ProviderGroupView after = ProviderGroupView.of(group);
    audit.record("update", ENTITY, id, before, after);
    return after;
  }

  /**
   * Deletes a group: the row stays with status deleted (data planes drop it). Refused (409) while
   * provider keys that are not deleted belong to it or another group falls back to it, so no live
   * configuration points at a group the data planes no longer know. Keys bound to it keep the
   * binding; data planes ignore the deleted group.
   */
  @Transactional
  public void delete(long id) {
    ProviderGroup group = find(id);
    if (group.status.equals("deleted")) {
      return;
    }
    em.lock(group, LockModeType.PESSIMISTIC_WRITE);
    long providerKeys = ProviderKey.count("groupId = ?1 and status <> 'deleted'", id);
    if (providerKeys > 0) {
      throw ProblemException.conflict(
          "id",
          "provider group "
              + id
              + " still has "
              + providerKeys
              + " provider keys; delete them first");
    }
    long fallingBack = ProviderGroup.count("fallbackGroupId = ?1 and status <> 'deleted'", id);
    if (fallingBack > 0) {
      throw ProblemException.conflict(
          "id", fallingBack + " provider groups fall back to group " + id + "; change them first");
    }
    ProviderGroupView before = ProviderGroupView.of(group);
    group.status = "deleted";
    revisions.stamp(group);
    audit.record("delete", ENTITY, id, before, ProviderGroupView.of(group));
  }

  @Transactional
  public Object list(ListRequest request) {
    var query = new ListQuery("provider_group g", "g.id", SORTS).statuses("g.status", request);
    if (request.search() != null) {
      query.where("g.name ILIKE ?", "%" + ListQuery.escapeLike(request.search()) + "%");
    }
    query.range("g.created_at", request.createdFrom(), request.createdTo());
    return query.answer(reads, request, ProviderGroup.class, ProviderGroupView::of);
  }

  private void persistChecked(ProviderGroup group, String name) {
    try {
      // IDENTITY ids make Hibernate insert right here, so a twin committed meanwhile shows now.
      group.persist();
    } catch (PersistenceException e) {
      if (violates(e, "provider_group_name_key")) {
        throw ProblemException.conflict("name", "a provider group named \"" + name + "\" exists");
      }
      throw e;
    }
  }

  /**
   * The fallback must be a live group other than {@code id}, and following fallbacks from it must
   * not come back to {@code id}.
   */
  private void requireFallback(Long id, long fallbackId) {
    em.createNativeQuery("SELECT pg_advisory_xact_lock(?1)")
        .setParameter(1, FALLBACK_LOCK_ID)
        .getSingleResult();
    if (id != null && fallbackId == id) {
      throw ProblemException.badRequest(
          "fallback_group_id", "a provider group cannot fall back to itself");
    }
    ProviderGroup fallback = ProviderGroup.findById(fallbackId);
    if (fallback == null || fallback.status.equals("deleted")) {
      throw ProblemException.badRequest(
          "fallback_group_id", "provider group " + fallbackId + " does not exist");
    }
    var seen = new HashSet<Long>();
    for (ProviderGroup next = fallback; next != null && next.fallbackGroupId != null; ) {
      if (id != null && next.fallbackGroupId.equals(id)) {
        throw ProblemException.badRequest(
            "fallback_group_id",
            "falling back to group " + fallbackId + " would lead back to group " + id);
      }
      if (!seen.add(next.fallbackGroupId)) {
        break;
      }
      next = ProviderGroup.findById(next.fallbackGroupId);
    }
  }

  @Transactional
  public ProviderGroupView get(long id) {
    return ProviderGroupView.of(find(id));
  }

  private static boolean violates(Throwable error, String constraint) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof ConstraintViolationException violation
          && constraint.equals(violation.getConstraintName())) {
        return true;
      }
    }
    return false;
  }

  /** A group that exists and is not deleted. */
  static ProviderGroup findLive(long id) {
    ProviderGroup group = ProviderGroup.findById(id, LockModeType.PESSIMISTIC_WRITE);
    if (group == null) {
      throw ProblemException.notFound("provider group", id);
    }
    if (group.status.equals("deleted")) {
      throw ProblemException.conflict("id", "provider group " + id + " is deleted");
    }
    return group;
  }

  static ProviderGroup find(long id) {
    ProviderGroup group = ProviderGroup.findById(id);
    if (group == null) {
      throw ProblemException.notFound("provider group", id);
    }
    return group;
  }

  private static Map<String, String> modelMapping(
      Map<String, String> mapping, List<String> models) {
    if (mapping == null) {
      return Map.of();
    }
    Fields.atMostEntries("model_mapping", mapping.keySet(), Fields.MAX_MODELS);
    var checked = new LinkedHashMap<String, String>();
    for (var entry : mapping.entrySet()) {
      String field = "model_mapping." + entry.getKey();
      if (!models.contains(entry.getKey())) {
        throw ProblemException.badRequest(
            field, "model_mapping maps \"" + entry.getKey() + "\", which is not in models");
      }
      if (entry.getValue() == null || entry.getValue().isBlank()) {
        throw ProblemException.badRequest(field, field + " must name an upstream model");
      }
      Fields.atMost(field, entry.getValue(), Fields.MAX_NAME_LENGTH);
      checked.put(entry.getKey(), entry.getValue());
    }
    return checked;
  }
}
