package dev.tollgate.controlplane.keys;

import dev.tollgate.controlplane.admin.Fields;
import dev.tollgate.controlplane.admin.ProblemException;
import dev.tollgate.controlplane.config.ConfigRevisions;
import dev.tollgate.controlplane.groups.ProviderGroup;
import dev.tollgate.controlplane.users.AppUser;
import jakarta.enterprise.context.ApplicationScoped;
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

  private final ConfigRevisions revisions;
  private final SecureRandom random = new SecureRandom();

  ApiKeyService(ConfigRevisions revisions) {
    this.revisions = revisions;
  }

  @Transactional
  public CreatedApiKeyView create(CreateApiKeyRequest request) {
    Fields.required("body", request);
    long userId = Fields.required("user_id", request.userId());
    String name = Fields.name("name", request.name());
    List<Long> groupIds = Fields.required("group_ids", request.groupIds());
    var distinctGroups = new TreeSet<Long>();
    for (Long groupId : groupIds) {
      if (groupId == null || !distinctGroups.add(groupId)) {
        throw ProblemException.badRequest(
            "group_ids", "group_ids must list distinct ids, got " + groupIds);
      }
    }
    Instant expiresAt = request.expiresAt();
    if (expiresAt != null && !expiresAt.isAfter(Instant.now())) {
      throw ProblemException.badRequest("expires_at", "expires_at must be in the future");
    }
    long quotaLimit = request.quotaLimit() == null ? -1 : request.quotaLimit();
    if (quotaLimit < -1) {
      throw ProblemException.badRequest(
          "quota_limit", "quota_limit must be -1 (unlimited) or a number of tokens >= 0");
    }
    int rpmLimit = Fields.nonNegative("rpm_limit", request.rpmLimit(), 0);
    int concurrencyLimit = Fields.nonNegative("concurrency_limit", request.concurrencyLimit(), 0);
    int tpmLimit = Fields.nonNegative("tpm_limit", request.tpmLimit(), 0);
    List<String> allowedModels =
        Fields.distinctNames("allowed_models", request.allowedModels(), false);
    List<String> ipAllow = cidrs("ip_allow", request.ipAllow());
    List<String> ipDeny = cidrs("ip_deny", request.ipDeny());

    if (AppUser.findById(userId) == null) {
      throw ProblemException.badRequest("user_id", "user " + userId + " does not exist");
    }
    var unknownGroups = new TreeSet<>(distinctGroups);
    if (!distinctGroups.isEmpty()) {
      unknownGroups.removeAll(
          ProviderGroup.<ProviderGroup>list("id in ?1", distinctGroups).stream()
              .map(group -> group.id)
              .toList());
    }
    if (!unknownGroups.isEmpty()) {
      throw ProblemException.badRequest(
          "group_ids", "provider groups " + unknownGroups + " do not exist");
    }

    String secret = newSecret();
    var key = new ApiKey();
    key.userId = userId;
    key.name = name;
    key.prefix = secret.substring(0, PREFIX_LENGTH);
    key.tokenHash = sha256Hex(secret);
    key.status = "active";
    key.expiresAt = expiresAt == null ? null : expiresAt.truncatedTo(ChronoUnit.MICROS);
    key.quotaLimit = quotaLimit;
    key.rpmLimit = rpmLimit;
    key.concurrencyLimit = concurrencyLimit;
    key.tpmLimit = tpmLimit;
    key.allowedModels = allowedModels.toArray(String[]::new);
    key.ipAllow = ipAllow.toArray(String[]::new);
    key.ipDeny = ipDeny.toArray(String[]::new);
    key.groupIds = distinctGroups;
    revisions.stamp(key);
    key.persist();
    return new CreatedApiKeyView(secret, ApiKeyView.of(key));
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
   * Switches a key between active and disabled. Setting the status it already has changes nothing
   * (no new revision); a revoked key stays revoked.
   */
  @Transactional
  public ApiKeyView update(long id, UpdateApiKeyRequest request) {
    Fields.required("body", request);
    String status = Fields.required("status", request.status());
    if (!status.equals("active") && !status.equals("disabled")) {
      throw ProblemException.badRequest(
          "status", "status must be \"active\" or \"disabled\" (DELETE revokes a key)");
    }
    ApiKey key = findForUpdate(id);
    if (key.status.equals("revoked")) {
      throw ProblemException.conflict("status", "key " + id + " is revoked for good");
    }
    if (!key.status.equals(status)) {
      key.status = status;
      revisions.stamp(key);
    }
    return ApiKeyView.of(key);
  }

  /** Revokes a key for good; revoking a revoked key is a no-op. */
  @Transactional
  public void revoke(long id) {
    ApiKey key = findForUpdate(id);
    if (!key.status.equals("revoked")) {
      key.status = "revoked";
      revisions.stamp(key);
    }
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
    var seen = new HashSet<String>();
    for (String value : values) {
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
