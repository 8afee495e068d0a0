package dev.tollgate.dataplane.config;

import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.ConfigChange;
import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.config.v1.Snapshot;
import dev.tollgate.proto.config.v1.Status;
import dev.tollgate.proto.config.v1.User;
import dev.tollgate.proto.config.v1.UserGroupLimit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * One immutable revision of the configuration, indexed for the request path: keys by token hash
 * (with their address and model rules parsed), active groups by public model name, active provider
 * keys by group sorted by priority, and (user, group) RPM overrides.
 *
 * <p>Never mutated after construction, so request threads read it without locks; a change builds a
 * new view ({@link #apply}) that {@link ConfigReplica} swaps in atomically.
 *
 * <p>Entities arriving with {@code STATUS_DELETED} are dropped from the view. A key is found only
 * by its current token hash: a rotated key's old hash stops authenticating in the view that carries
 * the new one. A (user, group) limit whose {@code rpm_override} is unset is dropped (the user
 * inherits the group's limit again).
 */
public final class ConfigView {

  private static final Comparator<ProviderKey> BY_PRIORITY =
      Comparator.comparingInt(ProviderKey::getPriority).thenComparingLong(ProviderKey::getId);

  private final long revision;
  private final Map<Long, User> usersById;
  private final Map<Long, ApiKey> keysById;
  private final Map<Long, ProviderGroup> groupsById;
  private final Map<Long, ProviderKey> providerKeysById;
  private final Map<UserGroup, Integer> rpmOverrides;

  private final Map<String, ApiKey> keysByTokenHash;
  private final Map<Long, KeyRules> rulesByKeyId;
  private final Map<String, List<ProviderGroup>> activeGroupsByModel;
  private final Map<Long, List<ProviderKey>> activeProviderKeysByGroup;

  /** A (user, group) pair. */
  private record UserGroup(long userId, long groupId) {}

  private ConfigView(
      long revision,
      Map<Long, User> usersById,
      Map<Long, ApiKey> keysById,
      Map<Long, ProviderGroup> groupsById,
      Map<Long, ProviderKey> providerKeysById,
      Map<UserGroup, Integer> rpmOverrides,
      ConfigView previous) {
    this.revision = revision;
    this.usersById = usersById;
    this.keysById = keysById;
    this.groupsById = groupsById;
    this.providerKeysById = providerKeysById;
    this.rpmOverrides = rpmOverrides;

    Map<String, ApiKey> byHash = new HashMap<>(keysById.size() * 2);
    Map<Long, KeyRules> rules = new HashMap<>(keysById.size() * 2);
    for (ApiKey key : keysById.values()) {
      byHash.put(key.getTokenHash(), key);
      // A key copy that did not change keeps its parsed rules: only changed keys are re-parsed.
      KeyRules parsed =
          previous != null && previous.keysById.get(key.getId()) == key
              ? previous.rulesByKeyId.get(key.getId())
              : KeyRules.of(key);
      rules.put(key.getId(), parsed);
    }
    this.keysByTokenHash = byHash;
    this.rulesByKeyId = rules;

    Map<Long, List<ProviderKey>> keysByGroup = new HashMap<>();
    for (ProviderKey providerKey : providerKeysById.values()) {
      if (providerKey.getStatus() == Status.STATUS_ACTIVE) {
        keysByGroup
            .computeIfAbsent(providerKey.getGroupId(), g -> new ArrayList<>())
            .add(providerKey);
      }
    }
    keysByGroup.replaceAll(
        (group, keys) -> {
          keys.sort(BY_PRIORITY);
          return List.copyOf(keys);
        });
    this.activeProviderKeysByGroup = keysByGroup;

    // Groups ordered by id so that a key bound to several groups serving one model routes the same
    // way on every replica.
    Map<String, List<ProviderGroup>> byModel = new HashMap<>();
    for (ProviderGroup group : new TreeMap<>(groupsById).values()) {
      if (group.getStatus() != Status.STATUS_ACTIVE) {
        continue;
      }
      for (String model : group.getModelsList()) {
        byModel.computeIfAbsent(model, m -> new ArrayList<>()).add(group);
      }
    }
    byModel.replaceAll((model, groups) -> List.copyOf(groups));
    this.activeGroupsByModel = byModel;
  }

  /** Heartbeat: same entities and indexes, new revision. */
  private ConfigView(long revision, ConfigView same) {
    this.revision = revision;
    this.usersById = same.usersById;
    this.keysById = same.keysById;
    this.groupsById = same.groupsById;
    this.providerKeysById = same.providerKeysById;
    this.rpmOverrides = same.rpmOverrides;
    this.keysByTokenHash = same.keysByTokenHash;
    this.rulesByKeyId = same.rulesByKeyId;
    this.activeGroupsByModel = same.activeGroupsByModel;
    this.activeProviderKeysByGroup = same.activeProviderKeysByGroup;
  }

  /** The view of a full snapshot. */
  public static ConfigView of(Snapshot snapshot) {
    return new ConfigView(
        snapshot.getRevision(),
        upsert(Map.of(), snapshot.getUsersList(), User::getId, User::getStatus),
        upsert(Map.of(), snapshot.getKeysList(), ApiKey::getId, ApiKey::getStatus),
        upsert(
            Map.of(),
            snapshot.getProviderGroupsList(),
            ProviderGroup::getId,
            ProviderGroup::getStatus),
        upsert(
            Map.of(), snapshot.getProviderKeysList(), ProviderKey::getId, ProviderKey::getStatus),
        overrides(Map.of(), snapshot.getUserGroupLimitsList()),
        null);
  }

  /** Whether the change carries any entity (a heartbeat only moves the revision). */
  static boolean hasEntities(ConfigChange change) {
    return change.getUsersCount() > 0
        || change.getKeysCount() > 0
        || change.getProviderGroupsCount() > 0
        || change.getProviderKeysCount() > 0
        || change.getUserGroupLimitsCount() > 0;
  }

  /** A new view with the change's entities replacing their copies, at the change's revision. */
  public ConfigView apply(ConfigChange change) {
    if (!hasEntities(change)) {
      return new ConfigView(change.getRevision(), this);
    }
    return new ConfigView(
        change.getRevision(),
        upsert(usersById, change.getUsersList(), User::getId, User::getStatus),
        upsert(keysById, change.getKeysList(), ApiKey::getId, ApiKey::getStatus),
        upsert(
            groupsById,
            change.getProviderGroupsList(),
            ProviderGroup::getId,
            ProviderGroup::getStatus),
        upsert(
            providerKeysById,
            change.getProviderKeysList(),
            ProviderKey::getId,
            ProviderKey::getStatus),
        overrides(rpmOverrides, change.getUserGroupLimitsList()),
        this);
  }

  /**
   * {@code current} with {@code changed} put in by id, deleted ones removed; {@code current} itself
   * when nothing changed (shared between views, never mutated).
   */
  private static <T> Map<Long, T> upsert(
      Map<Long, T> current, List<T> changed, ToLongFunction<T> id, Function<T, Status> status) {
    if (changed.isEmpty()) {
      return current;
    }
    Map<Long, T> next = new HashMap<>(current);
    for (T entity : changed) {
      if (status.apply(entity) == Status.STATUS_DELETED) {
        next.remove(id.applyAsLong(entity));
      } else {
        next.put(id.applyAsLong(entity), entity);
      }
    }
    return next;
  }

  private static Map<UserGroup, Integer> overrides(
      Map<UserGroup, Integer> current, List<UserGroupLimit> changed) {
    if (changed.isEmpty()) {
      return current;
    }
    Map<UserGroup, Integer> next = new HashMap<>(current);
    for (UserGroupLimit limit : changed) {
      UserGroup pair = new UserGroup(limit.getUserId(), limit.getGroupId());
      if (limit.hasRpmOverride()) {
        next.put(pair, limit.getRpmOverride());
      } else {
        next.remove(pair);
      }
    }
    return next;
  }

  /** The control plane's revision this view is consistent at. */
  public long revision() {
    return revision;
  }

  /** The key whose secret hashes to {@code tokenHash} (lowercase hex SHA-256), or null. */
  public ApiKey keyByTokenHash(String tokenHash) {
    return keysByTokenHash.get(tokenHash);
  }

  /** The parsed address and model rules of a key of this view. */
  public KeyRules rules(ApiKey key) {
    KeyRules rules = rulesByKeyId.get(key.getId());
    return rules == null ? KeyRules.of(key) : rules;
  }

  /** The user, or null. */
  public User user(long userId) {
    return usersById.get(userId);
  }

  /** The group, whatever its status, or null (never one that was deleted). */
  public ProviderGroup group(long groupId) {
    return groupsById.get(groupId);
  }

  /** The provider key, whatever its status, or null. */
  public ProviderKey providerKey(long providerKeyId) {
    return providerKeysById.get(providerKeyId);
  }

  /**
   * The group's fallback group (its {@code fallback_group_id}), whatever its status, or null when
   * it has none or that group is not (or no longer) in the configuration.
   */
  public ProviderGroup fallbackGroup(long groupId) {
    ProviderGroup group = groupsById.get(groupId);
    return group == null || group.getFallbackGroupId() == 0
        ? null
        : groupsById.get(group.getFallbackGroupId());
  }

  /**
   * The (user, group) RPM override: null = inherit the group's {@code rpm_limit}; 0 = the user is
   * exempt from the group limit; &gt; 0 = the user's own per-minute limit for that group.
   */
  public Integer rpmOverride(long userId, long groupId) {
    return rpmOverrides.isEmpty() ? null : rpmOverrides.get(new UserGroup(userId, groupId));
  }

  /** Active groups serving the public model name, by ascending id; empty when none. */
  public List<ProviderGroup> activeGroupsServing(String model) {
    return activeGroupsByModel.getOrDefault(model, List.of());
  }

  /** Active provider keys of the group, by ascending priority then id; empty when none. */
  public List<ProviderKey> activeProviderKeys(long groupId) {
    return activeProviderKeysByGroup.getOrDefault(groupId, List.of());
  }
}
