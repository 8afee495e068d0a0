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
import jakarta.transaction.Transactional;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;

@ApplicationScoped
public class ProviderKeyService {

  /** Secrets shorter than this get no hint: 4 characters would give away too much of them. */
  private static final int MIN_SECRET_LENGTH_FOR_HINT = 8;

  static final String ENTITY = "provider_key";

  public static final ListRequest.Spec SPEC =
      new ListRequest.Spec(
          List.of("created", "last_used", "requests", "tokens"),
          Set.of("active", "disabled", "deleted"),
          Set.of("deleted"),
          false,
          true,
          false,
          true);

  private static final Map<String, ListQuery.SortColumn> SORTS =
      Map.of(
          "created", new ListQuery.SortColumn("p.id", "int8"),
          "last_used",
              new ListQuery.SortColumn("COALESCE(p.last_used_at, '-infinity')", "timestamptz"),
          "requests", new ListQuery.SortColumn("p.requests", "int8"),
          "tokens", new ListQuery.SortColumn("p.total_tokens", "int8"));

  private final ConfigRevisions revisions;
  private final SecretCipher cipher;
  private final AuditLog audit;
  private final EntityManager em;
  private final ReadConnections reads;

  ProviderKeyService(
      ConfigRevisions revisions,
      SecretCipher cipher,
      AuditLog audit,
      EntityManager em,
      ReadConnections reads) {
    this.revisions = revisions;
    this.cipher = cipher;
    this.audit = audit;
    this.em = em;
    this.reads = reads;
  }

  @Transactional
  public ProviderKeyView create(CreateProviderKeyRequest request) {
    Fields.required("body", request);
    long groupId = Fields.required("group_id", request.groupId());
    String baseUrl = baseUrl(Fields.required("base_url", request.baseUrl()));
    String secret = secret(Fields.required("secret", request.secret()));
    int priority = request.priority() == null ? 0 : request.priority();
    int weight = Fields.range("weight", request.weight() == null ? 1 : request.weight(), 1, 10_000);
    Integer maxConcurrent =
        request.maxConcurrent() == null
            ? null
            : Fields.range("max_concurrent", request.maxConcurrent(), 1, 1000);
    // An unknown group is a fault in the body, not a missing resource at this URL: 400, not 404.
    ProviderGroup group = ProviderGroup.findById(groupId);
    if (group == null || group.status.equals("deleted")) {
      throw ProblemException.badRequest(
          "group_id", "provider group " + groupId + " does not exist");
    }

    var key = new ProviderKey();
    key.groupId = groupId;
    key.baseUrl = baseUrl;
    setSecret(key, secret);
    key.priority = priority;
    key.weight = weight;
    key.status = "active";
    key.maxConcurrent = maxConcurrent;
    revisions.stamp(key);
    key.persist();
    ProviderKeyView view = ProviderKeyView.of(key);
    audit.record("create", ENTITY, key.id, null, view);
    return view;
  }

  @Transactional
  public ProviderKeyView update(long id, UpdateProviderKeyRequest request) {
    Fields.required("body", request);
    String baseUrl = request.baseUrl() == null ? null : baseUrl(request.baseUrl());
    String secret = request.secret() == null ? null : secret(request.secret());
    Integer weight =
        request.weight() == null ? null : Fields.range("weight", request.weight(), 1, 10_000);
    String status = request.status();
    if (status != null && !status.equals("active") && !status.equals("disabled")) {
      throw ProblemException.badRequest(
          "status", "status must be \"active\" or \"disabled\" (DELETE deletes a provider key)");
    }
    ProviderKey key = findLive(id);
    ProviderKeyView before = ProviderKeyView.of(key);
    boolean secretChanged = secret != null && !secret.equals(cipher.decrypt(key.secretCiphertext));
    if (baseUrl != null) {
      key.baseUrl = baseUrl;
    }
    if (secretChanged) {
      setSecret(key, secret);
    }
    if (request.priority() != null) {
      key.priority = request.priority();
    }
    if (weight != null) {
      key.weight = weight;
    }
    if (status != null) {
      key.status = status;
    }
    if (!secretChanged && ProviderKeyView.of(key).equals(before)) {
      return before;
    }
    return stamped(key, before, secretChanged ? "update_secret" : "update");
  }

  /** Deletes a provider key: the row stays with status deleted, data planes drop it. */
  @Transactional
  public void delete(long id) {
    ProviderKey key = ProviderKey.findById(id, LockModeType.PESSIMISTIC_WRITE);
    if (key == null) {
      throw ProblemException.notFound("provider key", id);
    }
    if (!key.status.equals("deleted")) {
      ProviderKeyView before = ProviderKeyView.of(key);
      key.status = "deleted";
      stamped(key, before, "delete");
    }
  }

  /**
   * Switches between adaptive (max_concurrent NULL: the data planes learn the limit) and a fixed
   * limit, which data planes apply at once since it comes with a new revision.
   */
  @Transactional
  public ProviderKeyView setConcurrency(long id, ConcurrencyRequest request) {
    Fields.required("body", request);
    String mode = Fields.required("mode", request.mode());
    Integer limit;
    if (mode.equals("adaptive")) {
      if (request.limit() != null) {
        throw ProblemException.badRequest("limit", "limit goes with mode fixed only");
      }
      limit = null;
    } else if (mode.equals("fixed")) {
      limit = Fields.range("limit", Fields.required("limit", request.limit()), 1, 1000);
    } else {
      throw ProblemException.badRequest("mode", "mode must be \"adaptive\" or \"fixed\"");
    }
    ProviderKey key = findLive(id);
    ProviderKeyView before = ProviderKeyView.of(key);
    key.maxConcurrent = limit;
    if (ProviderKeyView.of(key).equals(before)) {
      return before;
    }
    return stamped(key, before, "set_concurrency");
  }

  /**
   * Forgets the learned limit and keeps the mode: learned_max_concurrent becomes NULL and
   * learning_reset_at now, so data planes discard learned state older than that.
   */
  @Transactional
  public ProviderKeyView resetLearning(long id) {
    ProviderKey key = findLive(id);
    ProviderKeyView before = ProviderKeyView.of(key);
    key.learningResetAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
    revisions.stamp(key);
    em.flush();
    // learned_max_concurrent belongs to the usage flush's reports: cleared with SQL, not mapped.
    em.createNativeQuery("UPDATE provider_key SET learned_max_concurrent = NULL WHERE id = ?1")
        .setParameter(1, id)
        .executeUpdate();
    em.refresh(key);
    ProviderKeyView after = ProviderKeyView.of(key);
    audit.record("reset_learning", ENTITY, id, before, after);
    return after;
  }

  @Transactional
  public Object list(ListRequest request) {
    var query = new ListQuery("provider_key p", "p.id", SORTS).statuses("p.status", request);
    if (request.groupId() != null) {
      query.where("p.group_id = ?", request.groupId());
    }
    query.range("p.created_at", request.createdFrom(), request.createdTo());
    query.range("p.last_used_at", request.lastUsedFrom(), request.lastUsedTo());
    return query.answer(reads, request, ProviderKey.class, ProviderKeyView::of);
  }

  private ProviderKeyView stamped(ProviderKey key, ProviderKeyView before, String action) {
    revisions.stamp(key);
    ProviderKeyView after = ProviderKeyView.of(key);
    audit.record(action, ENTITY, key.id, before, after);
    return after;
  }

  private void setSecret(ProviderKey key, String secret) {
    key.secretCiphertext = cipher.encrypt(secret);
    key.secretHint =
        secret.length() >= MIN_SECRET_LENGTH_FOR_HINT ? secret.substring(secret.length() - 4) : "";
  }

  private static String secret(String secret) {
    if (secret.isBlank()) {
      throw ProblemException.badRequest("secret", "secret must not be blank");
    }
    return Fields.atMost("secret", secret, Fields.MAX_SECRET_LENGTH);
  }

  /** A provider key that exists and is not deleted, locked for the change. */
  private static ProviderKey findLive(long id) {
    ProviderKey key = ProviderKey.findById(id, LockModeType.PESSIMISTIC_WRITE);
    if (key == null) {
      throw ProblemException.notFound("provider key", id);
    }
    if (key.status.equals("deleted")) {
      throw ProblemException.conflict("id", "provider key " + id + " is deleted");
    }
    return key;
  }

  @Transactional
  public ProviderKeyView get(long id) {
    ProviderKey key = ProviderKey.findById(id);
    if (key == null) {
      throw ProblemException.notFound("provider key", id);
    }
    return ProviderKeyView.of(key);
  }

  /**
   * Accepts the base URL as the OpenAI SDKs write it ("https://api.openai.com/v1") and drops one
   * trailing slash, because the data plane appends "/chat/completions" to it verbatim.
   */
  static String baseUrl(String value) {
    Fields.atMost("base_url", value, Fields.MAX_URL_LENGTH);
    String problem = "base_url must be an absolute http(s) URL such as https://api.openai.com/v1";
    URI uri;
    try {
      uri = new URI(value.trim());
    } catch (URISyntaxException e) {
      throw ProblemException.badRequest("base_url", problem);
    }
    String scheme = uri.getScheme();
    if (scheme == null
        || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
        || uri.getHost() == null
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null
        || uri.getRawUserInfo() != null) {
      throw ProblemException.badRequest(
          "base_url", problem + " (no query, fragment or credentials)");
    }
    String normalized = uri.toString();
    return normalized.endsWith("/") ? normalized.substring(0, normalized.length() - 1) : normalized;
  }
}
