package dev.tollgate.controlplane.ratelimit;

import dev.tollgate.controlplane.ratelimit.RpmLimitRepository.GroupLimit;
import dev.tollgate.controlplane.ratelimit.RpmLimitRepository.KeyLimits;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * Assembles rpm-status: which limits apply (PostgreSQL) and how much of each this minute used
 * (Redis). A group's scope follows the data plane's rule: a (user, group) override > 0 replaces the
 * group's limit with the user's own counter, 0 exempts the user, none (or NULL) leaves the group's.
 */
@ApplicationScoped
public class RpmStatusService {

  /** A scope before its counter is read; {@code counter} builds its Redis key for a minute. */
  private record Pending(String scope, long id, Long userId, int limit, Counter counter) {}

  private interface Counter {
    String at(long minute);
  }

  private final RpmLimitRepository limits;
  private final RpmCounterClient counters;
  private final RpmCounterKeys keys;

  RpmStatusService(RpmLimitRepository limits, RpmCounterClient counters, RedisTopology topology) {
    this.limits = limits;
    this.counters = counters;
    this.keys = topology.counterKeys();
  }

  public RpmStatusView ofKey(long keyId) {
    KeyLimits key = limits.key(keyId);
    List<Pending> scopes = new ArrayList<>();
    scopes.add(
        new Pending("key", keyId, null, key.keyLimit(), m -> keys.key(key.userId(), keyId, m)));
    scopes.add(
        new Pending("user", key.userId(), null, key.userLimit(), m -> keys.user(key.userId(), m)));
    addGroups(scopes, key.userId(), limits.groupsOfKey(key.userId(), keyId));
    return read("key", keyId, scopes);
  }

  public RpmStatusView ofUser(long userId) {
    int userLimit = limits.user(userId);
    List<Pending> scopes = new ArrayList<>();
    scopes.add(new Pending("user", userId, null, userLimit, m -> keys.user(userId, m)));
    addGroups(scopes, userId, limits.groupsOfUser(userId));
    return read("user", userId, scopes);
  }

  private void addGroups(List<Pending> scopes, long userId, List<GroupLimit> groups) {
    for (GroupLimit group : groups) {
      long groupId = group.groupId();
      if (group.override() != null) {
        scopes.add(
            new Pending(
                "user_group",
                groupId,
                userId,
                group.override(),
                m -> keys.userGroup(userId, groupId, m)));
      } else {
        scopes.add(
            new Pending("group", groupId, null, group.groupLimit(), m -> keys.group(groupId, m)));
      }
    }
  }

  private RpmStatusView read(String subject, long id, List<Pending> scopes) {
    RpmCounterClient.Reading reading =
        counters.read(minute -> scopes.stream().map(p -> p.counter().at(minute)).toList());
    List<RpmScopeView> views = new ArrayList<>(scopes.size());
    for (int i = 0; i < scopes.size(); i++) {
      Pending p = scopes.get(i);
      long used = reading.values().get(i);
      Long remaining = p.limit() == 0 ? null : Math.max(0, p.limit() - used);
      views.add(
          new RpmScopeView(
              p.scope(),
              p.id(),
              p.userId(),
              p.limit(),
              used,
              remaining,
              reading.resetsInSeconds()));
    }
    return new RpmStatusView(subject, id, reading.minute(), views);
  }
}
