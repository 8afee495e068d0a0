package dev.tollgate.controlplane.keys;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.admin.AdminApi.createGroup;
import static dev.tollgate.controlplane.admin.AdminApi.createKey;
import static dev.tollgate.controlplane.admin.AdminApi.createUser;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ApiKeyListTest {

  @Inject DataSource dataSource;
  @Inject ListingRefresher refresher;

  @Test
  void pagesThroughAUsersKeysNewestFirstWithTotals() {
    // Given
    long userId = createUser();
    List<Long> ids = createKeys(userId, 5);

    // When
    JsonPath first = list("user_id=" + userId + "&page=1&page_size=2");
    JsonPath last = list("user_id=" + userId + "&page=3&page_size=2");
    JsonPath past = list("user_id=" + userId + "&page=4&page_size=2");

    // Then
    assertThat(first.getList("items.id", Long.class)).containsExactly(ids.get(4), ids.get(3));
    assertThat(first.getLong("total")).isEqualTo(5);
    assertThat(first.getBoolean("total_exact")).isTrue();
    assertThat(first.getInt("total_pages")).isEqualTo(3);
    assertThat(first.getInt("page_size")).isEqualTo(2);
    assertThat(last.getList("items.id", Long.class)).containsExactly(ids.get(0));
    assertThat(past.getList("items")).isEmpty();
    assertThat(past.getLong("total")).isEqualTo(5);
  }

  @Test
  void answersAnEmptyListWithZeroTotalAndZeroPages() {
    long userId = createUser();

    JsonPath page = list("user_id=" + userId);

    assertThat(page.getList("items")).isEmpty();
    assertThat(page.getLong("total")).isZero();
    assertThat(page.getInt("total_pages")).isZero();
    assertThat(page.getInt("page")).isEqualTo(1);
    assertThat(page.getInt("page_size")).isEqualTo(50);
  }

  @Test
  void acceptsTheMaximumPageSize() {
    long userId = createUser();
    createKeys(userId, 3);

    JsonPath page = list("user_id=" + userId + "&page_size=1000");

    assertThat(page.getList("items")).hasSize(3);
    assertThat(page.getInt("page_size")).isEqualTo(1000);
  }

  @Test
  void walksCursorPagesInOrderAndEndsWithNullCursor() {
    // Given
    long userId = createUser();
    List<Long> ids = createKeys(userId, 5);

    // When
    JsonPath first = list("user_id=" + userId + "&limit=2&order=asc");
    JsonPath second =
        list("user_id=" + userId + "&limit=2&order=asc&cursor=" + first.getString("next_cursor"));
    JsonPath third =
        list("user_id=" + userId + "&limit=2&order=asc&cursor=" + second.getString("next_cursor"));

    // Then
    assertThat(first.getList("items.id", Long.class)).containsExactly(ids.get(0), ids.get(1));
    assertThat(second.getList("items.id", Long.class)).containsExactly(ids.get(2), ids.get(3));
    assertThat(third.getList("items.id", Long.class)).containsExactly(ids.get(4));
    assertThat(third.getString("next_cursor")).isNull();
    assertThat(first.getMap("$")).doesNotContainKey("total");
  }

  @Test
  void cursorNeitherRepeatsNorSkipsWhenKeysAreAddedMeanwhile() {
    // Given a first page, newest first
    long userId = createUser();
    List<Long> ids = createKeys(userId, 4);
    JsonPath first = list("user_id=" + userId + "&limit=2");

    // When a key is added before the next page is read
    long added = createKey(userId, List.of()).getLong("id");
    JsonPath second =
        list("user_id=" + userId + "&limit=2&cursor=" + first.getString("next_cursor"));

    // Then the next page continues where the first ended; the new key is not on it
    assertThat(first.getList("items.id", Long.class)).containsExactly(ids.get(3), ids.get(2));
    assertThat(second.getList("items.id", Long.class)).containsExactly(ids.get(1), ids.get(0));
    assertThat(second.getList("items.id", Long.class)).doesNotContain(added);
  }

  @Test
  void filtersByStatusAndExcludedStatusesWithMaintainedTotals() {
    // Given
    long userId = createUser();
    List<Long> ids = createKeys(userId, 4);
    asOperator().body(Map.of("status", "disabled")).patch("/admin/v1/keys/" + ids.get(1));
    asOperator().delete("/admin/v1/keys/" + ids.get(2)).then().statusCode(204);

    // When
    JsonPath disabled = list("user_id=" + userId + "&status=disabled");
    JsonPath notRevoked = list("user_id=" + userId + "&exclude_statuses=revoked,disabled");
    JsonPath either = list("user_id=" + userId + "&status=disabled,revoked&order=asc");

    // Then
    assertThat(disabled.getList("items.id", Long.class)).containsExactly(ids.get(1));
    assertThat(disabled.getLong("total")).isEqualTo(1);
    assertThat(notRevoked.getList("items.id", Long.class)).containsExactly(ids.get(3), ids.get(0));
    assertThat(notRevoked.getLong("total")).isEqualTo(2);
    assertThat(either.getList("items.id", Long.class)).containsExactly(ids.get(1), ids.get(2));
  }

  @Test
  void combinesGroupStatusAndSearchFilters() {
    // Given
    long userId = createUser();
    long group = createGroup();
    String tag = "needle" + System.nanoTime();
    long inGroup = createNamedKey(userId, tag + "-a", List.of(group));
    long inGroupDisabled = createNamedKey(userId, tag + "-b", List.of(group));
    createNamedKey(userId, tag + "-c", List.of());
    asOperator().body(Map.of("status", "disabled")).patch("/admin/v1/keys/" + inGroupDisabled);

    // When
    JsonPath byGroup = list("group_id=" + group);
    JsonPath combined = list("group_id=" + group + "&status=active&search=" + tag.toUpperCase());

    // Then
    assertThat(byGroup.getList("items.id", Long.class)).containsExactly(inGroupDisabled, inGroup);
    assertThat(byGroup.getLong("total")).isEqualTo(2);
    assertThat(combined.getList("items.id", Long.class)).containsExactly(inGroup);
    assertThat(combined.getLong("total")).isEqualTo(1);
  }

  @Test
  void searchesByKeyPrefix() {
    long userId = createUser();
    JsonPath created = createKey(userId, List.of());

    JsonPath found = list("user_id=" + userId + "&search=" + created.getString("prefix"));

    assertThat(found.getList("items.id", Long.class)).containsExactly(created.getLong("id"));
  }

  @Test
  void filtersByCreationAndLastUseRanges() throws Exception {
    // Given
    long userId = createUser();
    List<Long> ids = createKeys(userId, 3);
    execute(
        "UPDATE api_key SET last_accessed_at = '2030-01-01T10:00:00Z' WHERE id = ?", ids.get(1));
    refresher.refreshAll();

    // When
    JsonPath used =
        list(
            "user_id="
                + userId
                + "&last_used_from=2030-01-01T00:00:00Z&last_used_to=2030-01-02T00:00:00Z");
    JsonPath createdLongAgo = list("user_id=" + userId + "&created_to=2000-01-01T00:00:00Z");

    // Then
    assertThat(used.getList("items.id", Long.class)).containsExactly(ids.get(1));
    assertThat(used.getLong("total")).isEqualTo(1);
    assertThat(createdLongAgo.getList("items")).isEmpty();
  }

  @Test
  void sortsByRequestsAndTokensOnceTheListingIsRefreshed() throws Exception {
    // Given
    long userId = createUser();
    List<Long> ids = createKeys(userId, 3);
    execute("UPDATE api_key SET requests = 5, total_tokens = 10 WHERE id = ?", ids.get(0));
    execute("UPDATE api_key SET requests = 9, total_tokens = 1 WHERE id = ?", ids.get(1));
    execute("UPDATE api_key SET requests = 1, total_tokens = 50 WHERE id = ?", ids.get(2));
    refresher.refreshAll();

    // When
    JsonPath byRequests = list("user_id=" + userId + "&sort=requests&order=desc");
    JsonPath byTokens = list("user_id=" + userId + "&sort=tokens&order=asc&limit=2");
    JsonPath byTokensNext =
        list(
            "user_id="
                + userId
                + "&sort=tokens&order=asc&limit=2&cursor="
                + byTokens.getString("next_cursor"));

    // Then
    assertThat(byRequests.getList("items.id", Long.class))
        .containsExactly(ids.get(1), ids.get(0), ids.get(2));
    assertThat(byRequests.getList("items.requests", Long.class)).containsExactly(9L, 5L, 1L);
    assertThat(byTokens.getList("items.id", Long.class)).containsExactly(ids.get(1), ids.get(0));
    assertThat(byTokensNext.getList("items.id", Long.class)).containsExactly(ids.get(2));
  }

  @Test
  void sortsByLastUseWithNeverUsedKeysLast() throws Exception {
    long userId = createUser();
    List<Long> ids = createKeys(userId, 3);
    execute(
        "UPDATE api_key SET last_accessed_at = '2030-01-01T00:00:00Z' WHERE id = ?", ids.get(0));
    execute(
        "UPDATE api_key SET last_accessed_at = '2031-01-01T00:00:00Z' WHERE id = ?", ids.get(2));
    refresher.refreshAll();

    JsonPath first = list("user_id=" + userId + "&sort=last_used&limit=2");
    JsonPath rest =
        list(
            "user_id="
                + userId
                + "&sort=last_used&limit=2&cursor="
                + first.getString("next_cursor"));

    assertThat(first.getList("items.id", Long.class)).containsExactly(ids.get(2), ids.get(0));
    assertThat(rest.getList("items.id", Long.class)).containsExactly(ids.get(1));
  }

  @Test
  void deepPagesInCreationOrderMatchAPlainOffset() throws Exception {
    // Given enough keys that page 6 of 1000 lies beyond the first 4096-id block
    long userId = createUser();
    execute(
        "INSERT INTO api_key (user_id, name, prefix, token_hash, status, config_revision)"
            + " SELECT ?, 'bulk-' || g, 'tg-bulk', md5(random()::text || g) || md5(g::text),"
            + " CASE WHEN g % 3 = 0 THEN 'disabled' ELSE 'active' END, 0"
            + " FROM generate_series(1, 6000) g",
        userId);

    // When
    List<Long> deep = list("page=6&page_size=1000").getList("items.id", Long.class);
    List<Long> deepAsc = list("page=6&page_size=1000&order=asc").getList("items.id", Long.class);
    List<Long> deepDisabled =
        list("page=2&page_size=1000&status=disabled").getList("items.id", Long.class);
    List<Long> deepActive =
        list("page=5&page_size=1000&exclude_statuses=disabled,revoked")
            .getList("items.id", Long.class);

    // Then
    assertThat(deep).isEqualTo(ids("ORDER BY id DESC OFFSET 5000 LIMIT 1000"));
    assertThat(deepAsc).isEqualTo(ids("ORDER BY id ASC OFFSET 5000 LIMIT 1000"));
    assertThat(deepDisabled)
        .isEqualTo(ids("WHERE status = 'disabled' ORDER BY id DESC OFFSET 1000 LIMIT 1000"));
    assertThat(deepActive)
        .isEqualTo(
            ids(
                "WHERE status NOT IN ('disabled', 'revoked') ORDER BY id DESC OFFSET 4000"
                    + " LIMIT 1000"));
    assertThat(list("page=100000&page_size=1000").getList("items")).isEmpty();
  }

  @Test
  void refusesEveryBadParameterNamingIt() {
    Map<String, String> bad = new java.util.LinkedHashMap<>();
    bad.put("page=0", "page");
    bad.put("page=x", "page");
    bad.put("page_size=1001", "page_size");
    bad.put("page_size=0", "page_size");
    bad.put("limit=1001", "limit");
    bad.put("cursor=not-a-cursor", "cursor");
    bad.put("page=2&cursor=abc", "cursor");
    bad.put("sort=name", "sort");
    bad.put("order=up", "order");
    bad.put("status=paused", "status");
    bad.put("exclude_statuses=active,nope", "exclude_statuses");
    bad.put("user_id=-1", "user_id");
    bad.put("group_id=abc", "group_id");
    bad.put("search=ab", "search");
    bad.put("created_from=yesterday", "created_from");
    bad.put("created_from=2030-01-02T00:00:00Z&created_to=2030-01-01T00:00:00Z", "created_to");
    bad.put("last_used_to=2030-13-01T00:00:00Z", "last_used_to");
    for (var entry : bad.entrySet()) {
      asOperator()
          .get("/admin/v1/keys?" + entry.getKey())
          .then()
          .statusCode(400)
          .contentType(startsWith("application/problem+json"))
          .body("field", equalTo(entry.getValue()));
    }
  }

  @Test
  void refusesACursorMadeForAnotherSort() {
    long userId = createUser();
    createKeys(userId, 2);
    String cursor = list("user_id=" + userId + "&limit=1").getString("next_cursor");

    asOperator()
        .get("/admin/v1/keys?user_id=" + userId + "&limit=1&sort=requests&cursor=" + cursor)
        .then()
        .statusCode(400)
        .body("field", equalTo("cursor"));
  }

  @Test
  void refusesAForgedCursorValue() {
    String forged =
        java.util.Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString("last_used|desc|not a time|5".getBytes());

    asOperator()
        .get("/admin/v1/keys?sort=last_used&cursor=" + forged)
        .then()
        .statusCode(400)
        .body("field", equalTo("cursor"));
  }

  private static JsonPath list(String query) {
    return asOperator().get("/admin/v1/keys?" + query).then().statusCode(200).extract().jsonPath();
  }

  private static List<Long> createKeys(long userId, int count) {
    var ids = new ArrayList<Long>();
    for (int i = 0; i < count; i++) {
      ids.add(createKey(userId, List.of()).getLong("id"));
    }
    return ids;
  }

  private static long createNamedKey(long userId, String name, List<Long> groupIds) {
    return asOperator()
        .body(Map.of("user_id", userId, "name", name, "group_ids", groupIds))
        .post("/admin/v1/keys")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath()
        .getLong("id");
  }

  private List<Long> ids(String tail) throws Exception {
    var ids = new ArrayList<Long>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement("SELECT id FROM api_key " + tail);
        var rows = statement.executeQuery()) {
      while (rows.next()) {
        ids.add(rows.getLong(1));
      }
    }
    return ids;
  }

  private void execute(String sql, long id) throws Exception {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setLong(1, id);
      statement.executeUpdate();
    }
  }
}
