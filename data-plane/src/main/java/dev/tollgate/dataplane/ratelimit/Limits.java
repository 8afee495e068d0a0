package dev.tollgate.dataplane.ratelimit;

import dev.tollgate.dataplane.config.ConfigView;
import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.User;
import java.util.Arrays;

/**
 * The limits one request is admitted against, resolved from the config replica: RPM of the key, of
 * its user, and of the provider group or the (user, group) override; TPM of the key; concurrency of
 * the key and of the user. A limit of 0 does not apply (no Redis key is touched for it).
 *
 * <p>Windows (RPM then TPM) are sorted by ascending limit, so the first one that refuses is the
 * strictest; every one of them must admit the request.
 */
public final class Limits {

  private static final Limits NONE = new Limits(new Scope[0], new String[0], new long[0], 0, null);

  final Scope[] scopes;
  final String[] keys;
  final long[] limits;
  final int windows;
  final int rpmWindows;
  final String tpmCharge;

  private Limits(Scope[] scopes, String[] keys, long[] limits, int rpmWindows, String tpmCharge) {
    this.scopes = scopes;
    this.keys = keys;
    this.limits = limits;
    this.rpmWindows = rpmWindows;
    int w = 0;
    for (Scope scope : scopes) {
      if (!isConcurrency(scope)) {
        w++;
      }
    }
    this.windows = w;
    this.tpmCharge = tpmCharge;
  }

  /**
   * The limits of a request with this key to this provider group (0 = no group chosen), with the
   * single-Redis key formats.
   */
  public static Limits of(ConfigView view, ApiKey key, long groupId) {
    return of(view, key, groupId, RedisKeys.SINGLE);
  }

  /** As {@link #of(ConfigView, ApiKey, long)}, with the key formats of {@code redisKeys}. */
  public static Limits of(ConfigView view, ApiKey key, long groupId, RedisKeys redisKeys) {
    Builder b = new Builder();
    long userId = key.getUserId();
    User user = view.user(userId);
    b.window(Scope.KEY_RPM, redisKeys.keyRpm(userId, key.getId()), key.getRpmLimit());
    if (user != null) {
      b.window(Scope.USER_RPM, redisKeys.userRpm(userId), user.getRpmLimit());
    }
    if (groupId != 0) {
      Integer override = view.rpmOverride(key.getUserId(), groupId);
      if (override == null) {
        ProviderGroup group = view.group(groupId);
        if (group != null) {
          b.window(Scope.GROUP_RPM, redisKeys.groupRpm(groupId), group.getRpmLimit());
        }
      } else {
        b.window(Scope.USER_GROUP_RPM, redisKeys.userGroupRpm(userId, groupId), override);
      }
    }
    b.tpm(redisKeys.keyTpm(userId, key.getId()), key.getTpmLimit());
    b.concurrency(
        Scope.KEY_CONCURRENCY,
        redisKeys.keyConcurrency(userId, key.getId()),
        key.getConcurrencyLimit());
    if (user != null) {
      b.concurrency(
          Scope.USER_CONCURRENCY, redisKeys.userConcurrency(userId), user.getConcurrencyLimit());
    }
    return b.build();
  }

  /**
   * The part of these limits in the provider group's scope ({@code group} true: its RPM window, if
   * it applies) or all the others ({@code group} false: the key owner's scopes). On a Redis Cluster
   * each part lies in one hash slot ({@link RedisKeys#CLUSTER}). Order is kept.
   */
  Limits part(boolean group) {
    int n = 0;
    for (Scope scope : scopes) {
      if ((scope == Scope.GROUP_RPM) == group) {
        n++;
      }
    }
    if (n == scopes.length) {
      return this;
    }
    Scope[] s = new Scope[n];
    String[] k = new String[n];
    long[] l = new long[n];
    int rpm = 0;
    int j = 0;
    for (int i = 0; i < scopes.length; i++) {
      if ((scopes[i] == Scope.GROUP_RPM) == group) {
        s[j] = scopes[i];
        k[j] = keys[i];
        l[j] = limits[i];
        if (i < rpmWindows) {
          rpm++;
        }
        j++;
      }
    }
    return n == 0 ? NONE : new Limits(s, k, l, rpm, group ? null : tpmCharge);
  }

  /** Whether no limit applies at all (the request need not reach Redis). */
  public boolean none() {
    return scopes.length == 0;
  }

  /** Whether a lease must be taken (some concurrency limit applies). */
  boolean leases() {
    return scopes.length > windows;
  }

  static boolean isConcurrency(Scope scope) {
    return scope == Scope.KEY_CONCURRENCY || scope == Scope.USER_CONCURRENCY;
  }

  private static final class Builder {
    private final Scope[] scopes = new Scope[7];
    private final String[] keys = new String[7];
    private final long[] limits = new long[7];
    private int n;
    private int rpm;
    private String tpmCharge;

    void window(Scope scope, String key, long limit) {
      if (limit > 0) {
        add(scope, key, limit);
        rpm++;
      }
    }

    void tpm(String key, long limit) {
      if (limit > 0) {
        tpmCharge = key;
        add(Scope.KEY_TPM, tpmCharge, limit);
      }
    }

    void concurrency(Scope scope, String key, long limit) {
      if (limit > 0) {
        add(scope, key, limit);
      }
    }

    private void add(Scope scope, String key, long limit) {
      scopes[n] = scope;
      keys[n] = key;
      limits[n] = limit;
      n++;
    }

    Limits build() {
      if (n == 0) {
        return NONE;
      }
      // Windows first (RPM ones before TPM, as the script increments only the first nRpm), each
      // group sorted by limit so the first refusal names the strictest; concurrency last.
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      Arrays.sort(
          order,
          (a, b) -> {
            int ga = group(scopes[a]);
            int gb = group(scopes[b]);
            return ga != gb ? Integer.compare(ga, gb) : Long.compare(limits[a], limits[b]);
          });
      Scope[] s = new Scope[n];
      String[] k = new String[n];
      long[] l = new long[n];
      for (int i = 0; i < n; i++) {
        s[i] = scopes[order[i]];
        k[i] = keys[order[i]];
        l[i] = limits[order[i]];
      }
      return new Limits(s, k, l, rpm, tpmCharge);
    }

    private static int group(Scope scope) {
      if (scope == Scope.KEY_TPM) {
        return 1;
      }
      return isConcurrency(scope) ? 2 : 0;
    }
  }
}
