package dev.tollgate.controlplane.groups;

import dev.tollgate.controlplane.admin.Fields;
import dev.tollgate.controlplane.admin.ProblemException;
import dev.tollgate.controlplane.config.ConfigRevisions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.net.URI;
import java.net.URISyntaxException;

@ApplicationScoped
public class ProviderKeyService {

  /** Upstream secrets are API keys or tokens; anything longer is a paste mistake. */
  private static final int MAX_SECRET_LENGTH = 4096;

  /** Secrets shorter than this get no hint: 4 characters would give away too much of them. */
  private static final int MIN_SECRET_LENGTH_FOR_HINT = 8;

  private final ConfigRevisions revisions;
  private final SecretCipher cipher;

  ProviderKeyService(ConfigRevisions revisions, SecretCipher cipher) {
    this.revisions = revisions;
    this.cipher = cipher;
  }

  @Transactional
  public ProviderKeyView create(CreateProviderKeyRequest request) {
    Fields.required("body", request);
    long groupId = Fields.required("group_id", request.groupId());
    String baseUrl = baseUrl(Fields.required("base_url", request.baseUrl()));
    String secret = Fields.required("secret", request.secret());
    if (secret.isBlank() || secret.length() > MAX_SECRET_LENGTH) {
      throw ProblemException.badRequest(
          "secret", "secret must be 1 to " + MAX_SECRET_LENGTH + " non-blank characters");
    }
    int priority = request.priority() == null ? 0 : request.priority();
    int weight = Fields.range("weight", request.weight() == null ? 1 : request.weight(), 1, 10_000);
    Integer maxConcurrent =
        request.maxConcurrent() == null
            ? null
            : Fields.range("max_concurrent", request.maxConcurrent(), 1, 1000);
    // An unknown group is a fault in the body, not a missing resource at this URL: 400, not 404.
    if (ProviderGroup.findById(groupId) == null) {
      throw ProblemException.badRequest(
          "group_id", "provider group " + groupId + " does not exist");
    }

    var key = new ProviderKey();
    key.groupId = groupId;
    key.baseUrl = baseUrl;
    key.secretCiphertext = cipher.encrypt(secret);
    key.secretHint =
        secret.length() >= MIN_SECRET_LENGTH_FOR_HINT ? secret.substring(secret.length() - 4) : "";
    key.priority = priority;
    key.weight = weight;
    key.status = "active";
    key.maxConcurrent = maxConcurrent;
    revisions.stamp(key);
    key.persist();
    return ProviderKeyView.of(key);
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
