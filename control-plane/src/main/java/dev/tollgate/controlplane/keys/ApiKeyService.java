package dev.tollgate.controlplane.keys;

import dev.tollgate.controlplane.admin.Fields;
import dev.tollgate.controlplane.admin.ListRequest;
import dev.tollgate.controlplane.admin.ProblemException;
import dev.tollgate.controlplane.audit.AuditLog;
import dev.tollgate.controlplane.config.ConfigRevisions;
import dev.tollgate.controlplane.groups.ProviderGroup;
import dev.tollgate.controlplane.users.AppUser;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;

@ApplicationScoped
public class ApiKeyService {

  private static final String SECRET_PREFIX = "tg-";

  /** 40 base62 characters ≈ 238 bits of entropy. */
  private static final int SECRET_RANDOM_CHARS = 40;

  /** "tg-" + 8 characters: enough for an operator to recognise a key, far too few to guess it. */
  private static final int PREFIX_LENGTH = 11;

  private static final char[] BASE62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

  private static final String ENTITY = "api_key";

  private final ConfigRevisions revisions;
  private final AuditLog audit;
  private final ApiKeyRepository repository;
  private final EntityManager em;
  private final SecureRandom random = new SecureRandom();

  ApiKeyService(
      ConfigRevisions revisions, AuditLog audit, ApiKeyRepository repository, EntityManager em) {
    this.revisions = revisions;
    this.audit = audit;
    this.repository = repository;
    this.em = em;
  }

  @Transactional
  public CreatedApiKeyView create(CreateApiKeyRequest request) {
    Fields.required("body", request);
    long userId = Fields.required("user_id", request.userId());
    String name = Fields.name("name", request.name());
    TreeSet<Long> groupIds = groupIds(Fields.required("group_ids", request.groupIds()));
    Instant expiresAt = expiresAt(request.expiresAt());
    long quotaLimit = quotaLimit(request.quotaLimit() == null ? -1 : request.quotaLimit());
    int rpmLimit = Fields.nonNegative("rpm_limit", request.rpmLimit(), 0);
    int concurrencyLimit = Fields.nonNegative("concurrency_limit", request.concurrencyLimit(), 0);
    int tpmLimit = Fields.nonNegative("tpm_limit", request.tpmLimit(), 0);
    List<String> allowedModels =
        Fields.distinctNames("allowed_models", request.allowedModels(), false);
    List<String> ipAllow = cidrs("ip_allow", request.ipAllow());
    List<String> ipDeny = cidrs("ip_deny", request.ipDeny());

    AppUser user = AppUser.findById(userId);
    if (user == null || user.status.equals("deleted")) {
      throw ProblemException.badRequest("user_id", "user " + userId + " does not exist");
    }
    requireGroups(groupIds);

    String secret = newSecret();
    var key = new ApiKey();
    key.userId = userId;
    key.name = name;
    key.prefix = secret.substring(0, PREFIX_LENGTH);
    key.tokenHash = sha256Hex(secret);
    key.status = "active";
    key.expiresAt = expiresAt;
    key.quotaLimit = quotaLimit;
    key.rpmLimit = rpmLimit;
    key.concurrencyLimit = concurrencyLimit;
    key.tpmLimit = tpmLimit;
    key.allowedModels = allowedModels.toArray(String[]::new);
    key.ipAllow = ipAllow.toArray(String[]::new);
    key.ipDeny = ipDeny.toArray(String[]::new);
    key.groupIds = groupIds;
    revisions.stamp(key);
    key.persist();
    ApiKeyView view = ApiKeyView.of(key);
    audit.record("create", ENTITY, key.id, null, view);
    return new CreatedApiKeyView(secret, view);
  }

  @Transactional
  public ApiKeyView get(long id) {
    ApiKey key = ApiKey.findById(id);
    if (key == null) {
      throw ProblemException.notFound("key", id);
    }
    return ApiKeyView.of(key);
  }

  /**
   * Changes the fields present in the request. Changing nothing takes no new revision; a revoked
   * key stays revoked (409).
   */
  @Transactional
  public ApiKeyView update(long id, UpdateApiKeyRequest request) {
    Fields.required("body", request);
    String status = request.status();
    if (status != null && !status.equals("active") && !status.equals("disabled")) {
      throw ProblemException.badRequest(
          "status", "status must be \"active\" or \"disabled\" (DELETE revokes a key)");
    }
    String name = request.name() == null ? null : Fields.name("name", request.name());
    Instant expiresAt =
        request.expiresAt() == null ? null : expiresAt(request.expiresAt().orElse(null));
    Long quotaLimit = request.quotaLimit() == null ? null : quotaLimit(request.quotaLimit());
    Integer rpmLimit =
        request.rpmLimit() == null ? null : Fields.nonNegative("rpm_limit", request.rpmLimit(), 0);
    Integer concurrencyLimit =
        request.concurrencyLimit() == null
            ? null
            : Fields.nonNegative("concurrency_limit", request.concurrencyLimit(), 0);
    Integer tpmLimit =
        request.tpmLimit() == null ? null : Fields.nonNegative("tpm_limit", request.tpmLimit(), 0);
    List<String> allowedModels =
        request.allowedModels() == null
            ? null
            : Fields.distinctNames("allowed_models", request.allowedModels(), false);
    List<String> ipAllow = request.ipAllow() == null ? null : cidrs("ip_allow", request.ipAllow());
    List<String> ipDeny = request.ipDeny() == null ? null : cidrs("ip_deny", request.ipDeny());
    TreeSet<Long> groupIds = request.groupIds() == null ? null : groupIds(request.groupIds());

    ApiKey key = findForUpdate(id);
    if (key.status.equals("revoked")) {
      throw ProblemException.conflict("status", "key " + id + " is revoked for good");
    }
    if (groupIds != null) {
      requireGroups(groupIds);
    }
    ApiKeyView before = ApiKeyView.of(key);
    if (name != null) {
      key.name = name;
    }
    if (status != null) {
      key.status = status;
    }
    if (request.expiresAt() != null) {
      key.expiresAt = expiresAt;
    }
    if (quotaLimit != null) {
      key.quotaLimit = quotaLimit;
    }
    if (rpmLimit != null) {
      key.rpmLimit = rpmLimit;
    }
    if (concurrencyLimit != null) {
      key.concurrencyLimit = concurrencyLimit;
    }
    if (tpmLimit != null) {
      key.tpmLimit = tpmLimit;
    }
    if (allowedModels != null) {
      key.allowedModels = allowedModels.toArray(String[]::new);
    }
    if (ipAllow != null) {
      key.ipAllow = ipAllow.toArray(String[]::new);
    }
    if (ipDeny != null) {
      key.ipDeny = ipDeny.toArray(String[]::new);
    }
    if (groupIds != null && !groupIds.equals(new TreeSet<>(key.groupIds))) {
      key.groupIds.clear();
      key.groupIds.addAll(groupIds);
    }
    return stampIfChanged(key, before, "update");
  }

  /** Revokes a key for good; revoking a revoked key is a no-op. */
  @Transactional
  public void revoke(long id) {
    ApiKey key = findForUpdate(id);
    if (!key.status.equals("revoked")) {
      ApiKeyView before = ApiKeyView.of(key);
      key.status = "revoked";
      stampIfChanged(key, before, "revoke");
    }
  }

  /**
   * Gives the key a new secret, shown once. The old hash is replaced in the same revision, and data
   * planes index keys by hash, so the old secret stops working with that revision.
   */
  @Transactional
  public CreatedApiKeyView rotate(long id) {
    ApiKey key = findForUpdate(id);
    if (key.status.equals("revoked")) {
      throw ProblemException.conflict("id", "key " + id + " is revoked for good");
    }
    ApiKeyView before = ApiKeyView.of(key);
    String secret = newSecret();
    key.prefix = secret.substring(0, PREFIX_LENGTH);
    key.tokenHash = sha256Hex(secret);
    revisions.stamp(key);
    ApiKeyView after = ApiKeyView.of(key);
    audit.record("rotate", ENTITY, id, before, after);
    return new CreatedApiKeyView(secret, after);
  }

  /**
   * Sets quota_used to 0 and re-activates a quota_exhausted key. quota_used belongs to the usage
   * flush, so it is written with SQL under the row lock the flush also takes: a concurrent flush
   * adds its tokens either before (and they are reset) or after.
   */
  @Transactional
  public ApiKeyView resetQuota(long id) {
    ApiKey key = findForUpdate(id);
    if (key.status.equals("revoked")) {
      throw ProblemException.conflict("id", "key " + id + " is revoked for good");
    }
    ApiKeyView before = ApiKeyView.of(key);
    if (key.status.equals("quota_exhausted")) {
      key.status = "active";
    }
    revisions.stamp(key);
    em.flush();
    em.createNativeQuery("UPDATE api_key SET quota_used = 0 WHERE id = ?1")
        .setParameter(1, id)
        .executeUpdate();
    em.refresh(key);
    ApiKeyView after = ApiKeyView.of(key);
    audit.record("reset_quota", ENTITY, id, before, after);
    return after;
  }

  /** A page of keys; see {@link ApiKeyRepository}. */
  @Transactional
  public Object list(ListRequest request) {
    return repository.list(request);
  }

  private ApiKeyView stampIfChanged(ApiKey key, ApiKeyView before, String action) {
    ApiKeyView now = ApiKeyView.of(key);
    if (now.equals(before)) {
      return before;
    }
    revisions.stamp(key);
    ApiKeyView after = ApiKeyView.of(key);
    audit.record(action, ENTITY, key.id, before, after);
    return after;
  }

  private static TreeSet<Long> groupIds(List<Long> groupIds) {
    Fields.atMostEntries("group_ids", groupIds, Fields.MAX_GROUP_IDS);
    var distinct = new TreeSet<Long>();
    for (Long groupId : groupIds) {
      if (groupId == null || !distinct.add(groupId)) {
        throw ProblemException.badRequest(
            "group_ids", "group_ids must list distinct ids, got " + groupIds);
      }
    }
    return distinct;
  }

  private static void requireGroups(TreeSet<Long> groupIds) {
    var unknown = new TreeSet<>(groupIds);
    if (!groupIds.isEmpty()) {
      unknown.removeAll(
          ProviderGroup.<ProviderGroup>list("id in ?1 and status <> 'deleted'", groupIds).stream()
              .map(group -> group.id)
              .toList());
    }
    if (!unknown.isEmpty()) {
      throw ProblemException.badRequest(
          "group_ids", "provider groups " + unknown + " do not exist");
    }
  }

  private static Instant expiresAt(Instant expiresAt) {
    if (expiresAt == null) {
      return null;
    }
    if (!expiresAt.isAfter(Instant.now())) {
      throw ProblemException.badRequest("expires_at", "expires_at must be in the future");
    }
    return expiresAt.truncatedTo(ChronoUnit.MICROS);
  }

  private static long quotaLimit(long quotaLimit) {
    if (quotaLimit < -1) {
      throw ProblemException.badRequest(
          "quota_limit", "quota_limit must be -1 (unlimited) or a number of tokens >= 0");
    }
    return quotaLimit;
  }

  /**
   * Lowercase hex SHA-256 of the whole secret: what token_hash holds and the data plane looks up.
   */
  public static String sha256Hex(String secret) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform provides SHA-256", e);
    }
  }

  private static ApiKey findForUpdate(long id) {
    // A row lock: two concurrent status changes of one key apply one after the other.
    ApiKey key = ApiKey.findById(id, LockModeType.PESSIMISTIC_WRITE);
    if (key == null) {
      throw ProblemException.notFound("key", id);
    }
    return key;
  }

  private String newSecret() {
    var secret = new StringBuilder(SECRET_PREFIX.length() + SECRET_RANDOM_CHARS);
    secret.append(SECRET_PREFIX);
    for (int i = 0; i < SECRET_RANDOM_CHARS; i++) {
      secret.append(BASE62[random.nextInt(BASE62.length)]);
    }
    return secret.toString();
  }

  /** Validates CIDRs ("10.0.0.0/8", "2001:db8::/32") or single addresses, without DNS lookups. */
  private static List<String> cidrs(String field, List<String> values) {
    if (values == null) {
      return List.of();
    }
    Fields.atMostEntries(field, values, Fields.MAX_CIDRS);
    var seen = new HashSet<String>();
    for (String value : values) {
      if (value != null && value.length() > Fields.MAX_CIDR_LENGTH) {
        throw ProblemException.badRequest(
            field, field + " entries must be at most " + Fields.MAX_CIDR_LENGTH + " characters");
      }
      if (value == null || !isCidr(value) || !seen.add(value)) {
        throw ProblemException.badRequest(
            field, field + " must list distinct CIDRs such as 10.0.0.0/8, got " + value);
      }
    }
    return List.copyOf(values);
  }

  private static boolean isCidr(String value) {
    int slash = value.indexOf('/');
    String address = slash < 0 ? value : value.substring(0, slash);
    // Only IP literals: InetAddress would resolve anything else through DNS.
    if (address.isEmpty() || !address.matches("[0-9A-Fa-f:.]+")) {
      return false;
    }
    int bits;
    try {
      bits = InetAddress.getByName(address).getAddress().length * 8;
    } catch (UnknownHostException e) {
      return false;
    }
    if (slash < 0) {
      return true;
    }
    String length = value.substring(slash + 1);
    if (!length.matches("\\d{1,3}")) {
      return false;
    }
    return Integer.parseInt(length) <= bits;
  }
}
