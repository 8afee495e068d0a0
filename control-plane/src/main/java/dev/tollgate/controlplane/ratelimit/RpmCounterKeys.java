package dev.tollgate.controlplane.ratelimit;

/**
 * The Redis keys of the data planes' RPM counters (docs/redis-keys.md, the contract both planes
 * follow; the data plane writes them, the control plane only reads). {@code minute} is {@code
 * floor(redis_unix_seconds / 60)}, from Redis' own clock.
 *
 * <p>On a Redis Cluster the keys carry hash tags ({@link #CLUSTER}): the key owner's counters are
 * {@code tg:{u<user_id>}:} followed by the single-server key without its {@code tg:}, the group's
 * {@code tg:{g<group_id>}:rpm:group:<group_id>:<minute>}.
 */
final class RpmCounterKeys {

  /** The formats on one Redis server (the default). */
  static final RpmCounterKeys SINGLE = new RpmCounterKeys(false);

  /** The hash-tagged formats on a Redis Cluster. */
  static final RpmCounterKeys CLUSTER = new RpmCounterKeys(true);

  private final boolean cluster;

  private RpmCounterKeys(boolean cluster) {
    this.cluster = cluster;
  }

  /** {@code tg:rpm:key:<key_id>:<minute>}: requests admitted for the client key. */
  String key(long userId, long keyId, long minute) {
    return owner(userId) + "rpm:key:" + keyId + ":" + minute;
  }

  /** {@code tg:rpm:user:<user_id>:<minute>}: requests admitted for all keys of the user. */
  String user(long userId, long minute) {
    return owner(userId) + "rpm:user:" + userId + ":" + minute;
  }

  /** {@code tg:rpm:group:<group_id>:<minute>}: requests admitted to the group (no override). */
  String group(long groupId, long minute) {
    return (cluster ? "tg:{g" + groupId + "}:" : "tg:") + "rpm:group:" + groupId + ":" + minute;
  }

  /** {@code tg:rpm:ug:<user_id>:<group_id>:<minute>}: the user in the group, override > 0. */
  String userGroup(long userId, long groupId, long minute) {
    return owner(userId) + "rpm:ug:" + userId + ":" + groupId + ":" + minute;
  }

  private String owner(long userId) {
    return cluster ? "tg:{u" + userId + "}:" : "tg:";
  }
}
