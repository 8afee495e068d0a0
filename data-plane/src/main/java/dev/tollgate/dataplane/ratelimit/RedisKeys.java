package dev.tollgate.dataplane.ratelimit;

/**
 * Builds every Redis key the data plane uses, in the formats of {@code docs/redis-keys.md} (the
 * contract with the control plane, which reads the RPM counters for its rpm-status endpoint):
 *
 * <ul>
 *   <li>{@code tg:rpm:key:<key_id>:<minute>}, {@code tg:rpm:user:<user_id>:<minute>}, {@code
 *       tg:rpm:group:<group_id>:<minute>}, {@code tg:rpm:ug:<user_id>:<group_id>:<minute>}:
 *       requests admitted in that minute;
 *   <li>{@code tg:tpm:key:<key_id>:<minute>}: tokens charged to the key in that minute;
 *   <li>{@code tg:conc:key:<key_id>}, {@code tg:conc:user:<user_id>}: sorted sets of live leases
 *       (member = lease id, score = expiry in Redis milliseconds);
 *   <li>{@code tg:adaptive:pk:<provider_key_id>}: hash of a provider key's learned concurrency
 *       limit and the data planes' in-flight counts (used by {@code
 *       dev.tollgate.dataplane.routing.RedisSharedLimitStore}).
 * </ul>
 *
 * <p>Window keys are built here without their {@code :<minute>} suffix: the script appends the
 * minute of Redis time ({@code floor(unix seconds / 60)}), so no replica's clock ever picks a
 * window.
 */
public final class RedisKeys {

  private RedisKeys() {}

  /** The shared adaptive-concurrency state of a provider key. */
  public static String adaptiveProviderKey(long providerKeyId) {
    return "tg:adaptive:pk:" + providerKeyId;
  }

  static String keyRpm(long keyId) {
    return "tg:rpm:key:" + keyId;
  }

  static String userRpm(long userId) {
    return "tg:rpm:user:" + userId;
  }

  static String groupRpm(long groupId) {
    return "tg:rpm:group:" + groupId;
  }

  static String userGroupRpm(long userId, long groupId) {
    return "tg:rpm:ug:" + userId + ":" + groupId;
  }

  static String keyTpm(long keyId) {
    return "tg:tpm:key:" + keyId;
  }

  static String keyConcurrency(long keyId) {
    return "tg:conc:key:" + keyId;
  }

  static String userConcurrency(long userId) {
    return "tg:conc:user:" + userId;
  }

  /** A whole window key: a prefix above and the minute of Redis time. */
  public static String window(String prefix, long minute) {
    return prefix + ":" + minute;
  }
}
