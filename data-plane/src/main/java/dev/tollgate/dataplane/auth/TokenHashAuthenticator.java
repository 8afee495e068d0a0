package dev.tollgate.dataplane.auth;

import dev.tollgate.dataplane.config.ConfigView;
import dev.tollgate.dataplane.usage.UsageMeter;
import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.Status;
import dev.tollgate.proto.config.v1.User;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Hashes the presented secret with SHA-256 and looks the lowercase hex digest up in the replica,
 * the same hash the control plane stores; the secret itself is never kept or logged. Then, in this
 * order: the key's status and expiry, its owner's status, its address rules (deny first), and its
 * quota: {@code quota_used} from the replica plus the tokens this replica counted for the key and
 * the control plane has not acknowledged yet ({@link UsageMeter#unflushedTokens}).
 */
@ApplicationScoped
public class TokenHashAuthenticator implements Authenticator {

  private static final String BEARER = "Bearer ";
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  // MessageDigest is not thread-safe; one per event-loop thread avoids both locks and allocation.
  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("SHA-256 is part of every JRE", e);
            }
          });

  private final UsageMeter meter;

  public TokenHashAuthenticator(UsageMeter meter) {
    this.meter = meter;
  }

  @Override
  public Result authenticate(
      String authorization, byte[] clientAddress, ConfigView view, long nowMs) {
    if (authorization == null
        || authorization.length() <= BEARER.length()
        || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return Result.refused(AuthFailure.MISSING_KEY);
    }
    String token = authorization.substring(BEARER.length()).trim();
    ApiKey key = view.keyByTokenHash(sha256Hex(token));
    if (key == null) {
      return Result.refused(AuthFailure.UNKNOWN_KEY);
    }
    AuthFailure failure = statusFailure(key.getStatus());
    if (failure != null) {
      return Result.refused(failure);
    }
    if (key.getExpiresAtUnixMs() > 0 && nowMs >= key.getExpiresAtUnixMs()) {
      return Result.refused(AuthFailure.KEY_EXPIRED);
    }
    User user = view.user(key.getUserId());
    if (user == null || user.getStatus() != Status.STATUS_ACTIVE) {
      return Result.refused(AuthFailure.USER_DISABLED);
    }
    if (!view.rules(key).admitsAddress(clientAddress)) {
      return Result.refused(AuthFailure.IP_NOT_ALLOWED);
    }
    if (key.getQuotaLimit() >= 0
        && key.getQuotaUsed() + meter.unflushedTokens(key.getId()) >= key.getQuotaLimit()) {
      return Result.refused(AuthFailure.QUOTA_EXHAUSTED);
    }
    return Result.of(key);
  }

  @Override
  public AuthFailure checkModel(ApiKey key, String model, ConfigView view) {
    return view.rules(key).admitsModel(model) ? null : AuthFailure.MODEL_NOT_ALLOWED;
  }

  private static AuthFailure statusFailure(Status status) {
    switch (status) {
      case STATUS_ACTIVE:
        return null;
      case STATUS_REVOKED:
        return AuthFailure.KEY_REVOKED;
      case STATUS_EXPIRED:
        return AuthFailure.KEY_EXPIRED;
      case STATUS_QUOTA_EXHAUSTED:
        return AuthFailure.QUOTA_EXHAUSTED;
      default:
        // Disabled, and any status this replica does not know yet: refusing is the safe side.
        return AuthFailure.KEY_DISABLED;
    }
  }

  /** Lowercase hex SHA-256 of the UTF-8 bytes, as stored in ApiKey.token_hash. */
  public static String sha256Hex(String secret) {
    byte[] digest = SHA256.get().digest(secret.getBytes(StandardCharsets.UTF_8));
    byte[] hex = new byte[digest.length * 2];
    for (int i = 0; i < digest.length; i++) {
      hex[2 * i] = HEX[(digest[i] >> 4) & 0xf];
      hex[2 * i + 1] = HEX[digest[i] & 0xf];
    }
    return new String(hex, StandardCharsets.US_ASCII);
  }
}
