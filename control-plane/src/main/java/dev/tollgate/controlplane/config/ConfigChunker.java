package dev.tollgate.controlplane.config;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.config.v1.SnapshotChunk;
import dev.tollgate.proto.config.v1.SnapshotEnd;
import dev.tollgate.proto.config.v1.User;
import dev.tollgate.proto.config.v1.UserGroupLimit;
import java.util.function.Consumer;

/**
 * Cuts the entities of a snapshot or a change set into chunks under a byte budget, handing each
 * full chunk to a sink as soon as it is full, so neither side ever holds more than one chunk being
 * built plus what the sink keeps.
 *
 * <p>The budget counts each entity's exact serialized size with its field tag; a chunk is closed
 * before the entity that would take it over the budget. An entity larger than the whole budget goes
 * alone in its own chunk: splitting an entity is not possible, and the admin API's field bounds
 * keep every entity far below the data plane's inbound limit.
 */
final class ConfigChunker {

  private final int budgetBytes;
  private final Consumer<SnapshotChunk> sink;
  private SnapshotChunk.Builder current = SnapshotChunk.newBuilder();
  private long currentBytes;
  private long users;
  private long keys;
  private long groups;
  private long providerKeys;
  private long userGroupLimits;
  private long chunks;

  ConfigChunker(int budgetBytes, Consumer<SnapshotChunk> sink) {
    if (budgetBytes < 1024) {
      throw new IllegalArgumentException(
          "tollgate.watch.message-budget-bytes must be >= 1024, not " + budgetBytes);
    }
    this.budgetBytes = budgetBytes;
    this.sink = sink;
  }

  void add(User user) {
    room(SnapshotChunk.USERS_FIELD_NUMBER, user);
    current.addUsers(user);
    users++;
  }

  void add(ApiKey key) {
    room(SnapshotChunk.KEYS_FIELD_NUMBER, key);
    current.addKeys(key);
    keys++;
  }

  void add(ProviderGroup group) {
    room(SnapshotChunk.PROVIDER_GROUPS_FIELD_NUMBER, group);
    current.addProviderGroups(group);
    groups++;
  }

  void add(ProviderKey providerKey) {
    room(SnapshotChunk.PROVIDER_KEYS_FIELD_NUMBER, providerKey);
    current.addProviderKeys(providerKey);
    providerKeys++;
  }

  void add(UserGroupLimit limit) {
    room(SnapshotChunk.USER_GROUP_LIMITS_FIELD_NUMBER, limit);
    current.addUserGroupLimits(limit);
    userGroupLimits++;
  }

  /** Hands over the last, partly filled chunk, if any. */
  void finish() {
    if (currentBytes > 0) {
      flush();
    }
  }

  /** The totals a receiver checks its chunks against. */
  SnapshotEnd end(long revision) {
    return SnapshotEnd.newBuilder()
        .setRevision(revision)
        .setUsers(users)
        .setKeys(keys)
        .setProviderGroups(groups)
        .setProviderKeys(providerKeys)
        .setUserGroupLimits(userGroupLimits)
        .setChunks(chunks)
        .build();
  }

  /** Entities added so far. */
  long entities() {
    return users + keys + groups + providerKeys + userGroupLimits;
  }

  private void room(int field, MessageLite entity) {
    int size = CodedOutputStream.computeMessageSize(field, entity);
    if (currentBytes > 0 && currentBytes + size > budgetBytes) {
      flush();
    }
    currentBytes += size;
  }

  private void flush() {
    SnapshotChunk chunk = current.build();
    current = SnapshotChunk.newBuilder();
    currentBytes = 0;
    chunks++;
    sink.accept(chunk);
  }
}
