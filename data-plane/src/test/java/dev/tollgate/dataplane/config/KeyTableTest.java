package dev.tollgate.dataplane.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KeyTableTest {

  private static ApiKey key(long id, String hash) {
    return ApiKey.newBuilder().setId(id).setTokenHash(hash).setStatus(Status.STATUS_ACTIVE).build();
  }

  @Test
  void findsEveryKeyOfASnapshotByHashAndById() {
    // Given
    List<ApiKey> keys = new ArrayList<>();
    for (long id = 1; id <= 10_000; id++) {
      keys.add(key(id, "h" + id));
    }

    // When
    KeyTable table = KeyTable.of(keys);

    // Then
    assertThat(table.size()).isEqualTo(10_000);
    for (ApiKey key : keys) {
      assertThat(table.byTokenHash(key.getTokenHash())).isSameAs(key);
      assertThat(table.byId(key.getId())).isSameAs(key);
    }
    assertThat(table.byTokenHash("h0")).isNull();
    assertThat(table.byId(10_001)).isNull();
  }

  @Test
  void aRotatedKeyIsFoundOnlyByItsNewHashAndADroppedOneNotAtAll() {
    // Given
    KeyTable before = KeyTable.of(List.of(key(1, "old"), key(2, "two"), key(3, "three")));

    // When key 1 rotates and key 3 is dropped
    KeyTable after = before.with(List.of(key(1, "new")), Set.of(3L));

    // Then
    assertThat(after.byTokenHash("old")).isNull();
    assertThat(after.byTokenHash("new").getId()).isEqualTo(1);
    assertThat(after.byTokenHash("three")).isNull();
    assertThat(after.byId(3)).isNull();
    assertThat(after.byTokenHash("two").getId()).isEqualTo(2);
    assertThat(after.size()).isEqualTo(2);
    assertThat(before.byTokenHash("old").getId()).isEqualTo(1);
    assertThat(before.size()).isEqualTo(3);
  }

  @Test
  void aKeyRotatedTwiceBeforeAFoldKeepsOnlyItsLatestHash() {
    // Given
    KeyTable table = KeyTable.of(List.of(key(1, "a")));

    // When
    table = table.with(List.of(key(1, "b")), Set.of()).with(List.of(key(1, "c")), Set.of());

    // Then
    assertThat(table.byTokenHash("a")).isNull();
    assertThat(table.byTokenHash("b")).isNull();
    assertThat(table.byTokenHash("c").getId()).isEqualTo(1);
  }

  @Test
  void manyChangesAreFoldedIntoANewBaseWithoutLosingAny() {
    // Given
    List<ApiKey> keys = new ArrayList<>();
    for (long id = 1; id <= 20_000; id++) {
      keys.add(key(id, "h" + id));
    }
    KeyTable table = KeyTable.of(keys);

    // When more keys change, one at a time, than the overlay holds
    for (long id = 1; id <= KeyTable.MAX_OVERLAY + 100; id++) {
      table = table.with(List.of(key(id, "r" + id)), Set.of());
    }
    table = table.with(List.of(key(30_000, "added")), Set.of(20_000L));

    // Then
    assertThat(table.size()).isEqualTo(20_000);
    assertThat(table.byTokenHash("h1")).isNull();
    assertThat(table.byTokenHash("r1").getId()).isEqualTo(1);
    long last = KeyTable.MAX_OVERLAY + 100;
    assertThat(table.byTokenHash("r" + last).getId()).isEqualTo(last);
    assertThat(table.byTokenHash("h" + (last + 1)).getId()).isEqualTo(last + 1);
    assertThat(table.byTokenHash("h20000")).isNull();
    assertThat(table.byTokenHash("added").getId()).isEqualTo(30_000);
  }

  @Test
  void rulesAreParsedOncePerCopyAndKeptAcrossAFold() {
    // Given
    ApiKey ruled = key(1, "ruled").toBuilder().addIpDeny("10.0.0.0/8").build();
    KeyTable table = KeyTable.of(List.of(ruled));
    KeyRules parsed = table.rules(ruled);

    // When enough other keys change to fold the overlay
    for (long id = 2; id <= KeyTable.MAX_OVERLAY + 10; id++) {
      table = table.with(List.of(key(id, "k" + id)), Set.of());
    }

    // Then
    assertThat(table.rules(ruled)).isSameAs(parsed);
    assertThat(parsed.admitsAddress(new byte[] {10, 0, 0, 1})).isFalse();
  }
}
