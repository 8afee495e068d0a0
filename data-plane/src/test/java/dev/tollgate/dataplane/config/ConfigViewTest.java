package dev.tollgate.dataplane.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.ConfigChange;
import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.config.v1.SnapshotChunk;
import dev.tollgate.proto.config.v1.Status;
import dev.tollgate.proto.config.v1.User;
import dev.tollgate.proto.config.v1.UserGroupLimit;
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
            5,
            SnapshotChunk.newBuilder()
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
            5, SnapshotChunk.newBuilder().addKeys(key(1, "aaa", Status.STATUS_ACTIVE)).build());

    // When
    ConfigView after = before.apply(ConfigChange.newBuilder().setRevision(9).build());

    // Then
    assertThat(after.revision()).isEqualTo(9);
    assertThat(after.keyByTokenHash("aaa")).isSameAs(before.keyByTokenHash("aaa"));
  }

  @Test
  void dropsEntitiesThatArriveDeleted() {
    // Given a key, its user, a group and a provider key
    ConfigView before =
        ConfigView.of(
            1,
            SnapshotChunk.newBuilder()
                .addUsers(User.newBuilder().setId(3).setStatus(Status.STATUS_ACTIVE))
                .addKeys(key(1, "aaa", Status.STATUS_ACTIVE).toBuilder().setUserId(3))
                .addProviderGroups(group(10, 0))
                .addProviderKeys(
                    ProviderKey.newBuilder()
                        .setId(100)
                        .setGroupId(10)
                        .setStatus(Status.STATUS_ACTIVE))
                .build());

    // When each is deleted
    ConfigView after =
        before.apply(
            ConfigChange.newBuilder()
                .setRevision(2)
                .addUsers(User.newBuilder().setId(3).setStatus(Status.STATUS_DELETED))
                .addKeys(key(1, "aaa", Status.STATUS_DELETED))
                .addProviderGroups(group(10, 0).toBuilder().setStatus(Status.STATUS_DELETED))
                .addProviderKeys(
                    ProviderKey.newBuilder()
                        .setId(100)
                        .setGroupId(10)
                        .setStatus(Status.STATUS_DELETED))
                .build());

    // Then none of them is in the new view
    assertThat(before.keyByTokenHash("aaa")).isNotNull();
    assertThat(after.keyByTokenHash("aaa")).isNull();
    assertThat(after.user(3)).isNull();
    assertThat(after.group(10)).isNull();
    assertThat(after.activeGroupsServing("m")).isEmpty();
    assertThat(after.activeProviderKeys(10)).isEmpty();
  }

  @Test
  void aSnapshotLeavesOutEntitiesAlreadyDeleted() {
    // When a snapshot carries a deleted key
    ConfigView view =
        ConfigView.of(
            1, SnapshotChunk.newBuilder().addKeys(key(1, "aaa", Status.STATUS_DELETED)).build());

    // Then it cannot authenticate
    assertThat(view.keyByTokenHash("aaa")).isNull();
  }

  @Test
  void aRotatedKeyStopsAuthenticatingWithItsOldHashInTheSameChange() {
    // Given key 1 with hash "old"
    ConfigView before =
        ConfigView.of(
            1, SnapshotChunk.newBuilder().addKeys(key(1, "old", Status.STATUS_ACTIVE)).build());

    // When its token is rotated
    ConfigView after =
        before.apply(
            ConfigChange.newBuilder()
                .setRevision(2)
                .addKeys(key(1, "new", Status.STATUS_ACTIVE))
                .build());

    // Then only the new hash finds it
    assertThat(after.keyByTokenHash("old")).isNull();
    assertThat(after.keyByTokenHash("new").getId()).isEqualTo(1);
  }

  @Test
  void followsUserGroupRpmOverridesFromTheSnapshotAndChanges() {
    // Given overrides for (1, 10) = 5 and (1, 11) = 0 (exempt)
    ConfigView before =
        ConfigView.of(
            1,
            SnapshotChunk.newBuilder()
                .addUserGroupLimits(limit(1, 10, 5))
                .addUserGroupLimits(limit(1, 11, 0))
                .build());

    // When (1, 10) is cleared and (2, 10) is set to 7
    ConfigView after =
        before.apply(
            ConfigChange.newBuilder()
                .setRevision(2)
                .addUserGroupLimits(UserGroupLimit.newBuilder().setUserId(1).setGroupId(10))
                .addUserGroupLimits(limit(2, 10, 7))
                .build());

    // Then a cleared override inherits again (null), exempt stays 0, the new one applies
    assertThat(before.rpmOverride(1, 10)).isEqualTo(5);
    assertThat(after.rpmOverride(1, 10)).isNull();
    assertThat(after.rpmOverride(1, 11)).isZero();
    assertThat(after.rpmOverride(2, 10)).isEqualTo(7);
    assertThat(after.rpmOverride(3, 10)).isNull();
  }

  @Test
  void keepsTheFallbackGroupOfAGroupForRouting() {
    // Given group 10 falling back to group 11, and group 12 falling back to a missing group
    ConfigView view =
        ConfigView.of(
            1,
            SnapshotChunk.newBuilder()
                .addProviderGroups(group(10, 11))
                .addProviderGroups(group(11, 0))
                .addProviderGroups(group(12, 99))
                .build());

    // Then
    assertThat(view.fallbackGroup(10).getId()).isEqualTo(11);
    assertThat(view.fallbackGroup(11)).isNull();
    assertThat(view.fallbackGroup(12)).isNull();
  }

  @Test
  void parsesAKeysAddressRulesOnceAndReusesThemWhileTheKeyIsUnchanged() {
    // Given a key with address and model rules
    ApiKey ruled =
        key(1, "aaa", Status.STATUS_ACTIVE).toBuilder()
            .addIpDeny("10.0.0.0/8")
            .addAllowedModels("gpt-4o-mini")
            .build();
    ConfigView before = ConfigView.of(1, SnapshotChunk.newBuilder().addKeys(ruled).build());

    // When another key changes
    ConfigView after =
        before.apply(
            ConfigChange.newBuilder()
                .setRevision(2)
                .addKeys(key(2, "bbb", Status.STATUS_ACTIVE))
                .build());

    // Then the unchanged key's parsed rules are the same object, and they apply
    KeyRules rules = after.rules(ruled);
    assertThat(rules).isSameAs(before.rules(ruled));
    assertThat(rules.admitsAddress(new byte[] {10, 1, 2, 3})).isFalse();
    assertThat(rules.admitsAddress(new byte[] {11, 1, 2, 3})).isTrue();
    assertThat(rules.admitsModel("gpt-4o-mini")).isTrue();
    assertThat(rules.admitsModel("gpt-4o")).isFalse();
  }

  @Test
  void theViewsOfAStreamedSnapshotAndOfTheSameEntitiesAtOnceAgree() {
    // Given two chunks of one snapshot
    var builder = new ConfigView.Builder(4);
    builder.add(SnapshotChunk.newBuilder().addKeys(key(1, "aaa", Status.STATUS_ACTIVE)).build());
    builder.add(
        SnapshotChunk.newBuilder()
            .addKeys(key(2, "bbb", Status.STATUS_ACTIVE))
            .addUsers(User.newBuilder().setId(9).setStatus(Status.STATUS_ACTIVE))
            .build());

    // When
    ConfigView view = builder.build();

    // Then
    assertThat(view.revision()).isEqualTo(4);
    assertThat(view.keyByTokenHash("aaa").getId()).isEqualTo(1);
    assertThat(view.keyByTokenHash("bbb").getId()).isEqualTo(2);
    assertThat(view.user(9)).isNotNull();
    assertThat(view.keyCount()).isEqualTo(2);
    assertThat(
            builder.mismatch(
                dev.tollgate.proto.config.v1.SnapshotEnd.newBuilder()
                    .setRevision(4)
                    .setKeys(2)
                    .setUsers(1)
                    .build()))
        .isNull();
    assertThat(
            builder.mismatch(
                dev.tollgate.proto.config.v1.SnapshotEnd.newBuilder()
                    .setRevision(4)
                    .setKeys(3)
                    .setUsers(1)
                    .build()))
        .contains("3 keys, received 2");
  }

  @Test
  void thePartsOfASplitChangeSetApplyTogetherAndTheLaterCopyWins() {
    // Given
    ConfigView before =
        ConfigView.of(
            5,
            SnapshotChunk.newBuilder()
                .addKeys(key(1, "aaa", Status.STATUS_ACTIVE))
                .addKeys(key(2, "bbb", Status.STATUS_ACTIVE))
                .build());

    // When one change set arrives in two parts
    ConfigView after =
        before.apply(
            java.util.List.of(
                ConfigChange.newBuilder()
                    .setAfterRevision(5)
                    .setRevision(8)
                    .setContinued(true)
                    .addKeys(key(1, "aaa", Status.STATUS_DISABLED))
                    .build(),
                ConfigChange.newBuilder()
                    .setAfterRevision(5)
                    .setRevision(8)
                    .addKeys(key(1, "aaa", Status.STATUS_REVOKED))
                    .addKeys(key(3, "ccc", Status.STATUS_ACTIVE))
                    .build()));

    // Then
    assertThat(after.revision()).isEqualTo(8);
    assertThat(after.keyByTokenHash("aaa").getStatus()).isEqualTo(Status.STATUS_REVOKED);
    assertThat(after.keyByTokenHash("ccc").getId()).isEqualTo(3);
    assertThat(after.keyCount()).isEqualTo(3);
  }

  private static ProviderGroup group(long id, long fallback) {
    return ProviderGroup.newBuilder()
        .setId(id)
        .setStatus(Status.STATUS_ACTIVE)
        .addModels("m")
        .setFallbackGroupId(fallback)
        .build();
  }

  private static UserGroupLimit limit(long userId, long groupId, int rpm) {
    return UserGroupLimit.newBuilder()
        .setUserId(userId)
        .setGroupId(groupId)
        .setRpmOverride(rpm)
        .build();
  }
}
