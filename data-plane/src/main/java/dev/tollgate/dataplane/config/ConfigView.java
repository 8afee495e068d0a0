package dev.tollgate.dataplane.config;

import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.ConfigChange;
import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.config.v1.Snapshot;
import dev.tollgate.proto.config.v1.Status;
import dev.tollgate.proto.config.v1.User;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One immutable revision of the configuration, indexed for the request path: keys by token hash,
 * active groups by public model name, active provider keys by group sorted by priority.
 *
 * <p>Never mutated after construction, so request threads read it without locks; a change builds a
 * new view ({@link #apply}) that {@link ConfigReplica} swaps in atomically.
 */
public final class ConfigView {

  private static final Comparator<ProviderKey> BY_PRIORITY =
      Comparator.comparingInt(ProviderKey::getPriority).thenComparingLong(ProviderKey::getId);

  private final long revision;
  private final Map<Long, User> usersById;
  private final Map<Long, ApiKey> keysById;
  private final Map<Long, ProviderGroup> groupsById;
  private final Map<Long, ProviderKey> providerKeysById;

  private final Map<String, ApiKey> keysByTokenHash;
  private final Map<String, List<ProviderGroup>> activeGroupsByModel;
  private final Map<Long, List<ProviderKey>> activeProviderKeysByGroup;

  private ConfigView(
      long revision,
      Map<Long, User> usersById,
      Map<Long, ApiKey> keysById,
      Map<Long, ProviderGroup> groupsById,
      Map<Long, ProviderKey> providerKeysById) {
    this.revision = revision;
    this.usersById = usersById;
    this.keysById = keysById;
    this.groupsById = groupsById;
    this.providerKeysById = providerKeysById;

    Map<String, ApiKey> byHash = new HashMap<>(keysById.size() * 2);
    for (ApiKey key : keysById.values()) {
      byHash.put(key.getTokenHash(), key);
    }
    this.keysByTokenHash = byHash;

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

  /** The view of a full snapshot. */
  public static ConfigView of(Snapshot snapshot) {
    Map<Long, User> users = new HashMap<>();
    snapshot.getUsersList().forEach(u -> users.put(u.getId(), u));
    Map<Long, ApiKey> keys = new HashMap<>();
    snapshot.getKeysList().forEach(k -> keys.put(k.getId(), k));
    Map<Long, ProviderGroup> groups = new HashMap<>();
    snapshot.getProviderGroupsList().forEach(g -> groups.put(g.getId(), g));
    Map<Long, ProviderKey> providerKeys = new HashMap<>();
    snapshot.getProviderKeysList().forEach(p -> providerKeys.put(p.getId(), p));
    return new ConfigView(snapshot.getRevision(), users, keys, groups, providerKeys);
  }

  /** Whether the change carries any entity (a heartbeat only moves the revision). */
  static boolean hasEntities(ConfigChange change) {
    return change.getUsersCount() > 0
        || change.getKeysCount() > 0
        || change.getProviderGroupsCount() > 0
        || change.getProviderKeysCount() > 0;
  }

  /** A new view with the change's entities replacing their copies, at the change's revision. */
  public ConfigView apply(ConfigChange change) {
    if (!hasEntities(change)) {
      return new ConfigView(
          change.getRevision(), usersById, keysById, groupsById, providerKeysById, this);
    }
    Map<Long, User> users = usersById;
    if (change.getUsersCount() > 0) {
      users = new HashMap<>(usersById);
      for (User u : change.getUsersList()) {
        users.put(u.getId(), u);
      }
    }
    Map<Long, ApiKey> keys = keysById;
    if (change.getKeysCount() > 0) {
      keys = new HashMap<>(keysById);
      for (ApiKey k : change.getKeysList()) {
        keys.put(k.getId(), k);
      }
    }
    Map<Long, ProviderGroup> groups = groupsById;
    if (change.getProviderGroupsCount() > 0) {
      groups = new HashMap<>(groupsById);
      for (ProviderGroup g : change.getProviderGroupsList()) {
        groups.put(g.getId(), g);
      }
    }
    Map<Long, ProviderKey> providerKeys = providerKeysById;
    if (change.getProviderKeysCount() > 0) {
      providerKeys = new HashMap<>(providerKeysById);
      for (ProviderKey p : change.getProviderKeysList()) {
        providerKeys.put(p.getId(), p);
      }
    }
    return new ConfigView(change.getRevision(), users, keys, groups, providerKeys);
  }

  /** Heartbeat: same indexes, new revision. */
  private ConfigView(
      long revision,
      Map<Long, User> usersById,
      Map<Long, ApiKey> keysById,
      Map<Long, ProviderGroup> groupsById,
      Map<Long, ProviderKey> providerKeysById,
      ConfigView indexes) {
    this.revision = revision;
    this.usersById = usersById;
    this.keysById = keysById;
    this.groupsById = groupsById;
    this.providerKeysById = providerKeysById;
    this.keysByTokenHash = indexes.keysByTokenHash;
    this.activeGroupsByModel = indexes.activeGroupsByModel;
    this.activeProviderKeysByGroup = indexes.activeProviderKeysByGroup;
  }

  /** The control plane's revision this view is consistent at. */
  public long revision() {
    return revision;
  }

  /** The key whose secret hashes to {@code tokenHash} (lowercase hex SHA-256), or null. */
  public ApiKey keyByTokenHash(String tokenHash) {
    return keysByTokenHash.get(tokenHash);
  }

  /** The user, or null. */
  public User user(long userId) {
    return usersById.get(userId);
  }

  /** The group, whatever its status, or null. */
  public ProviderGroup group(long groupId) {
    return groupsById.get(groupId);
  }

  /** The provider key, whatever its status, or null. */
  public ProviderKey providerKey(long providerKeyId) {
    return providerKeysById.get(providerKeyId);
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
