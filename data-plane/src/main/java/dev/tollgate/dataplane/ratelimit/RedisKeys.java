package dev.tollgate.dataplane.ratelimit;

import dev.tollgate.dataplane.DataPlaneConfig;

/**
 * Builds every Redis key the data plane uses, in the formats of {@code docs/redis-keys.md} (the
 * contract with the control plane, which reads the RPM counters for its rpm-status endpoint).
 *
 * <p>On a single Redis ({@link #SINGLE}):
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
 * <p>On a Redis Cluster ({@link #CLUSTER}) a script may only touch keys of one hash slot, so the
 * keys carry hash tags: every key of the key owner's scopes (the key's and the user's windows and
 * lease sets, the (user, group) override's window) becomes {@code tg:{u<user_id>}:} followed by the
 * single-Redis key without its {@code tg:} (e.g. {@code tg:{u7}:rpm:key:42:<minute>}), all in the
 * user's slot; the group's window becomes {@code tg:{g<group_id>}:rpm:group:<group_id>}. A
 * request's limits then span at most two slots: its user's and its group's. The adaptive hash is
 * one key per script call and keeps its name.
 *
 * <p>Window keys are built here without their {@code :<minute>} suffix: the script appends the
 * minute of Redis time ({@code floor(unix seconds / 60)}), so no replica's clock ever picks a
 * window.
 */
public final class RedisKeys {

  /** The formats on one Redis server (the default). */
  public static final RedisKeys SINGLE = new RedisKeys(false);

  /** The hash-tagged formats on a Redis Cluster. */
  public static final RedisKeys CLUSTER = new RedisKeys(true);

  private final boolean cluster;

  private RedisKeys(boolean cluster) {
    this.cluster = cluster;
  }

  /** The formats of the Redis {@code settings} name. */
  public static RedisKeys of(DataPlaneConfig.Redis settings) {
    return RedisTopology.clustered(settings) ? CLUSTER : SINGLE;
  }

  /** Whether these are the hash-tagged formats of a Redis Cluster. */
  public boolean cluster() {
    return cluster;
  }

  /** The shared adaptive-concurrency state of a provider key (one name on either topology). */
  public static String adaptiveProviderKey(long providerKeyId) {
    return "tg:adaptive:pk:" + providerKeyId;
  }

  String keyRpm(long userId, long keyId) {
    return owner(userId) + "rpm:key:" + keyId;
  }

  String userRpm(long userId) {
    return owner(userId) + "rpm:user:" + userId;
  }

  String groupRpm(long groupId) {
    return (cluster ? "tg:{g" + groupId + "}:" : "tg:") + "rpm:group:" + groupId;
  }

  String userGroupRpm(long userId, long groupId) {
    return owner(userId) + "rpm:ug:" + userId + ":" + groupId;
  }

  String keyTpm(long userId, long keyId) {
    return owner(userId) + "tpm:key:" + keyId;
  }

  String keyConcurrency(long userId, long keyId) {
    return owner(userId) + "conc:key:" + keyId;
  }

  String userConcurrency(long userId) {
    return owner(userId) + "conc:user:" + userId;
  }

  private String owner(long userId) {
    return cluster ? "tg:{u" + userId + "}:" : "tg:";
  }

  /** A whole window key: a prefix above and the minute of Redis time. */
  public static String window(String prefix, long minute) {
    return prefix + ":" + minute;
  }
}
