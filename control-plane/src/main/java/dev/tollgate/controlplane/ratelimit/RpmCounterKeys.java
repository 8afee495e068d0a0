package dev.tollgate.controlplane.ratelimit;

/**
 * The Redis keys of the data planes' RPM counters (docs/redis-keys.md, the contract both planes
 * follow; the data plane writes them, the control plane only reads). {@code minute} is {@code
 * floor(redis_unix_seconds / 60)}, from Redis' own clock.
 */
final class RpmCounterKeys {

  private RpmCounterKeys() {}

  /** {@code tg:rpm:key:<key_id>:<minute>}: requests admitted for the client key. */
  static String key(long keyId, long minute) {
    return "tg:rpm:key:" + keyId + ":" + minute;
  }

  /** {@code tg:rpm:user:<user_id>:<minute>}: requests admitted for all keys of the user. */
  static String user(long userId, long minute) {
    return "tg:rpm:user:" + userId + ":" + minute;
  }

  /** {@code tg:rpm:group:<group_id>:<minute>}: requests admitted to the group (no override). */
  static String group(long groupId, long minute) {
    return "tg:rpm:group:" + groupId + ":" + minute;
  }

  /** {@code tg:rpm:ug:<user_id>:<group_id>:<minute>}: the user in the group, override > 0. */
  static String userGroup(long userId, long groupId, long minute) {
    return "tg:rpm:ug:" + userId + ":" + groupId + ":" + minute;
  }
}
