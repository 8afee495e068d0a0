package dev.tollgate.controlplane.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.ConfigServiceGrpc;
import dev.tollgate.proto.config.v1.GetSnapshotRequest;
import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.config.v1.SnapshotChunk;
import dev.tollgate.proto.config.v1.SnapshotEnd;
import dev.tollgate.proto.config.v1.SnapshotPart;
import dev.tollgate.proto.config.v1.User;
import dev.tollgate.proto.config.v1.UserGroupLimit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A GetSnapshot stream read whole by a test, checked the way a data plane checks it (begin, chunks,
 * end with matching revision and counts).
 */
record StreamedSnapshot(
    long revision,
    SnapshotChunk all,
    SnapshotEnd end,
    List<Integer> sizes,
    List<Integer> sharedSizes) {

  static StreamedSnapshot read(ConfigServiceGrpc.ConfigServiceBlockingStub stub) {
    Iterator<SnapshotPart> parts = stub.getSnapshot(GetSnapshotRequest.getDefaultInstance());
    SnapshotPart first = parts.next();
    assertThat(first.hasBegin()).as("the first part is begin").isTrue();
    var all = SnapshotChunk.newBuilder();
    List<Integer> sizes = new ArrayList<>();
    // Sizes of the chunks that carry more than one entity: only those must stay under the budget
    // (an entity larger than the budget, such as a provider key with a 16 KiB secret, goes alone).
    List<Integer> sharedSizes = new ArrayList<>();
    while (true) {
      SnapshotPart part = parts.next();
      sizes.add(part.getSerializedSize());
      if (part.hasEnd()) {
        assertThat(parts.hasNext()).as("nothing after end").isFalse();
        SnapshotEnd end = part.getEnd();
        assertThat(end.getRevision()).isEqualTo(first.getBegin().getRevision());
        assertThat(end.getKeys()).isEqualTo(all.getKeysCount());
        assertThat(end.getUsers()).isEqualTo(all.getUsersCount());
        assertThat(end.getProviderGroups()).isEqualTo(all.getProviderGroupsCount());
        assertThat(end.getProviderKeys()).isEqualTo(all.getProviderKeysCount());
        assertThat(end.getUserGroupLimits()).isEqualTo(all.getUserGroupLimitsCount());
        assertThat(end.getChunks()).isEqualTo(sizes.size() - 1);
        return new StreamedSnapshot(end.getRevision(), all.build(), end, sizes, sharedSizes);
      }
      assertThat(part.hasChunk()).as("between begin and end only chunks").isTrue();
      SnapshotChunk chunk = part.getChunk();
      int entities =
          chunk.getKeysCount()
              + chunk.getUsersCount()
              + chunk.getProviderGroupsCount()
              + chunk.getProviderKeysCount()
              + chunk.getUserGroupLimitsCount();
      if (entities > 1) {
        sharedSizes.add(part.getSerializedSize());
      }
      all.mergeFrom(chunk);
    }
  }

  long getRevision() {
    return revision;
  }

  List<User> getUsersList() {
    return all.getUsersList();
  }

  List<ApiKey> getKeysList() {
    return all.getKeysList();
  }

  List<ProviderGroup> getProviderGroupsList() {
    return all.getProviderGroupsList();
  }

  List<ProviderKey> getProviderKeysList() {
    return all.getProviderKeysList();
  }

  List<UserGroupLimit> getUserGroupLimitsList() {
    return all.getUserGroupLimitsList();
  }
}
