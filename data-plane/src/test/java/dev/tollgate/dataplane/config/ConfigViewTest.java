package dev.tollgate.dataplane.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.ConfigChange;
import dev.tollgate.proto.config.v1.Snapshot;
import dev.tollgate.proto.config.v1.Status;
import org.junit.jupiter.api.Test;

class ConfigViewTest {

  private static ApiKey key(long id, String hash, Status status) {
    return ApiKey.newBuilder().setId(id).setTokenHash(hash).setStatus(status).build();
  }

  @Test
  void aChangeReplacesEntitiesWholeAndReindexesThem() {
    // Given
    ConfigView before =
        ConfigView.of(
            Snapshot.newBuilder()
                .setRevision(5)
                .addKeys(key(1, "aaa", Status.STATUS_ACTIVE))
                .addKeys(key(2, "bbb", Status.STATUS_ACTIVE))
                .build());

    // When key 1 is revoked and key 2 gets a new hash
    ConfigView after =
        before.apply(
            ConfigChange.newBuilder()
                .setRevision(7)
                .addKeys(key(1, "aaa", Status.STATUS_REVOKED))
                .addKeys(key(2, "ccc", Status.STATUS_ACTIVE))
                .build());

    // Then the new view has both changes; the old view is untouched
    assertThat(after.revision()).isEqualTo(7);
    assertThat(after.keyByTokenHash("aaa").getStatus()).isEqualTo(Status.STATUS_REVOKED);
    assertThat(after.keyByTokenHash("bbb")).isNull();
    assertThat(after.keyByTokenHash("ccc").getId()).isEqualTo(2);
    assertThat(before.keyByTokenHash("aaa").getStatus()).isEqualTo(Status.STATUS_ACTIVE);
  }

  @Test
  void aHeartbeatOnlyMovesTheRevision() {
    // Given
    ConfigView before =
        ConfigView.of(
            Snapshot.newBuilder()
                .setRevision(5)
                .addKeys(key(1, "aaa", Status.STATUS_ACTIVE))
                .build());

    // When
    ConfigView after = before.apply(ConfigChange.newBuilder().setRevision(9).build());

    // Then
    assertThat(after.revision()).isEqualTo(9);
    assertThat(after.keyByTokenHash("aaa")).isSameAs(before.keyByTokenHash("aaa"));
  }
}
