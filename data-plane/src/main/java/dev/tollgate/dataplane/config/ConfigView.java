package dev.tollgate.dataplane.config;

import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.ConfigChange;
import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.config.v1.SnapshotChunk;
import dev.tollgate.proto.config.v1.SnapshotEnd;
import dev.tollgate.proto.config.v1.Status;
import dev.tollgate.proto.config.v1.User;
import dev.tollgate.proto.config.v1.UserGroupLimit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
  private final KeyTable keys;
  private final Map<Long, ProviderGroup> groupsById;
  private final Map<Long, ProviderKey> providerKeysById;
  private final Map<UserGroup, Integer> rpmOverrides;

  private final Map<String, List<ProviderGroup>> activeGroupsByModel;
  private final Map<Long, List<ProviderKey>> activeProviderKeysByGroup;

  /** A (user, group) pair. */
  private record UserGroup(long userId, long groupId) {}

  private ConfigView(
      long revision,
      Map<Long, User> usersById,
      KeyTable keys,
      Map<Long, ProviderGroup> groupsById,
      Map<Long, ProviderKey> providerKeysById,
      Map<UserGroup, Integer> rpmOverrides) {
    this.revision = revision;
    this.usersById = usersById;
    this.keys = keys;
    this.groupsById = groupsById;
    this.providerKeysById = providerKeysById;
    this.rpmOverrides = rpmOverrides;

    Map<Long, List<ProviderKey>> keysByGroup = new HashMap<>();
    for (ProviderKey providerKey : providerKeysById.values()) {
      if (providerKey.getStatus() == Status.STATUS_ACTIVE) {
        keysByGroup
            .computeIfAbsent(providerKey.getGroupId(), g -> new ArrayList<>())
            .add(providerKey);
      }
    }
    keysByGroup.replaceAll(
        (group, inGroup) -> {
          inGroup.sort(BY_PRIORITY);
          return List.copyOf(inGroup);
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
    this.keys = same.keys;
    this.groupsById = same.groupsById;
    this.providerKeysById = same.providerKeysById;
    this.rpmOverrides = same.rpmOverrides;
    this.activeGroupsByModel = same.activeGroupsByModel;
    this.activeProviderKeysByGroup = same.activeProviderKeysByGroup;
  }

  /**
   * The view of a whole snapshot at {@code revision}. The streamed snapshot is put together with
   * {@link Builder} instead, chunk by chunk.
   */
  public static ConfigView of(long revision, SnapshotChunk all) {
    return new Builder(revision).add(all).build();
  }

  /**
   * Collects the chunks of one snapshot off to the side; nothing is served from it until {@link
   * #build}. Used by one thread at a time (the snapshot call's callbacks).
   */
  public static final class Builder {
    private final long revision;
    private final Map<Long, User> users = new HashMap<>();
    private final List<ApiKey> keys = new ArrayList<>();
    private final Map<Long, ProviderGroup> groups = new HashMap<>();
    private final Map<Long, ProviderKey> providerKeys = new HashMap<>();
    private final Map<UserGroup, Integer> overrides = new HashMap<>();
    private long userCount;
    private long keyCount;
    private long groupCount;
    private long providerKeyCount;
    private long overrideCount;

    public Builder(long revision) {
      this.revision = revision;
    }

    /** Adds a chunk's entities; ones that arrive deleted are left out. */
    public Builder add(SnapshotChunk chunk) {
      for (User user : chunk.getUsersList()) {
        userCount++;
        if (user.getStatus() != Status.STATUS_DELETED) {
          users.put(user.getId(), user);
        }
      }
      for (ApiKey key : chunk.getKeysList()) {
        keyCount++;
        if (key.getStatus() != Status.STATUS_DELETED) {
          keys.add(key);
        }
      }
      for (ProviderGroup group : chunk.getProviderGroupsList()) {
        groupCount++;
        if (group.getStatus() != Status.STATUS_DELETED) {
          groups.put(group.getId(), group);
        }
      }
      for (ProviderKey providerKey : chunk.getProviderKeysList()) {
        providerKeyCount++;
        if (providerKey.getStatus() != Status.STATUS_DELETED) {
          providerKeys.put(providerKey.getId(), providerKey);
        }
      }
      for (UserGroupLimit limit : chunk.getUserGroupLimitsList()) {
        overrideCount++;
        if (limit.hasRpmOverride()) {
          overrides.put(
              new UserGroup(limit.getUserId(), limit.getGroupId()), limit.getRpmOverride());
        }
      }
      return this;
    }

    /**
     * Why the snapshot does not add up to what its end says (revision or a count differs), or null
     * when it does.
     */
    public String mismatch(SnapshotEnd end) {
      if (end.getRevision() != revision) {
        return "end revision " + end.getRevision() + " differs from begin revision " + revision;
      }
      long[][] counts = {
        {end.getUsers(), userCount},
        {end.getKeys(), keyCount},
        {end.getProviderGroups(), groupCount},
        {end.getProviderKeys(), providerKeyCount},
        {end.getUserGroupLimits(), overrideCount}
      };
      String[] names = {"users", "keys", "provider groups", "provider keys", "user group limits"};
      for (int i = 0; i < counts.length; i++) {
        if (counts[i][0] != counts[i][1]) {
          return "end counts " + counts[i][0] + " " + names[i] + ", received " + counts[i][1];
        }
      }
      return null;
    }

    /** The finished view. */
    public ConfigView build() {
      return new ConfigView(
          revision,
          Map.copyOf(users),
          KeyTable.of(keys),
          Map.copyOf(groups),
          Map.copyOf(providerKeys),
          Map.copyOf(overrides));
    }
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
    return apply(List.of(change));
  }

  /**
   * A new view with the entities of every part of one change set replacing their copies, at the
   * last part's revision; parts are applied in order, so a later copy of an entity wins.
   */
  public ConfigView apply(List<ConfigChange> parts) {
    long revision = parts.get(parts.size() - 1).getRevision();
    if (parts.stream().noneMatch(ConfigView::hasEntities)) {
      return new ConfigView(revision, this);
    }
    List<User> users = new ArrayList<>();
    Map<Long, ApiKey> upserts = new LinkedHashMap<>();
    Set<Long> drops = new HashSet<>();
    List<ProviderGroup> groups = new ArrayList<>();
    List<ProviderKey> providerKeys = new ArrayList<>();
    List<UserGroupLimit> limits = new ArrayList<>();
    for (ConfigChange part : parts) {
      users.addAll(part.getUsersList());
      for (ApiKey key : part.getKeysList()) {
        if (key.getStatus() == Status.STATUS_DELETED) {
          upserts.remove(key.getId());
          drops.add(key.getId());
        } else {
          drops.remove(key.getId());
          upserts.put(key.getId(), key);
        }
      }
      groups.addAll(part.getProviderGroupsList());
      providerKeys.addAll(part.getProviderKeysList());
      limits.addAll(part.getUserGroupLimitsList());
    }
    return new ConfigView(
        revision,
        upsert(usersById, users, User::getId, User::getStatus),
        keys.with(upserts.values(), drops),
        upsert(groupsById, groups, ProviderGroup::getId, ProviderGroup::getStatus),
        upsert(providerKeysById, providerKeys, ProviderKey::getId, ProviderKey::getStatus),
        overrides(rpmOverrides, limits));
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
    return keys.byTokenHash(tokenHash);
  }

  /** The key with this id, or null. */
  public ApiKey key(long keyId) {
    return keys.byId(keyId);
  }

  /** Client keys in this view. */
  public int keyCount() {
    return keys.size();
  }

  /** The parsed address and model rules of a key of this view. */
  public KeyRules rules(ApiKey key) {
    return keys.rules(key);
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
