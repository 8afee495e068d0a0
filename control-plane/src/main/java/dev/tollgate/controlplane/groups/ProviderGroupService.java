package dev.tollgate.controlplane.groups;

import dev.tollgate.controlplane.admin.Fields;
import dev.tollgate.controlplane.admin.ProblemException;
import dev.tollgate.controlplane.config.ConfigRevisions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.PersistenceException;
import jakarta.transaction.Transactional;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hibernate.exception.ConstraintViolationException;

@ApplicationScoped
public class ProviderGroupService {

  /** Platforms the data plane can talk to (the schema's CHECK on provider_group.platform). */
  private static final Set<String> PLATFORMS = Set.of("openai");

  private final ConfigRevisions revisions;

  ProviderGroupService(ConfigRevisions revisions) {
    this.revisions = revisions;
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

    var group = new ProviderGroup();
    group.name = name;
    group.platform = platform;
    group.models = models.toArray(String[]::new);
    group.modelMapping = mapping;
    group.status = "active";
    group.rpmLimit = rpmLimit;
    revisions.stamp(group);
    try {
      // IDENTITY ids make Hibernate insert right here, so a twin committed meanwhile shows now.
      group.persist();
    } catch (PersistenceException e) {
      if (violates(e, "provider_group_name_key")) {
        throw ProblemException.conflict("name", "a provider group named \"" + name + "\" exists");
      }
      throw e;
    }
    return ProviderGroupView.of(group);
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
      checked.put(entry.getKey(), entry.getValue());
    }
    return checked;
  }
}
