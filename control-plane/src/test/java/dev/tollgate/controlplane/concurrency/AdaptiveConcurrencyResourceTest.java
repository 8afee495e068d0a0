package dev.tollgate.controlplane.concurrency;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.admin.AdminApi.createGroup;
import static dev.tollgate.controlplane.admin.AdminApi.createOperatorToken;
import static dev.tollgate.controlplane.admin.AdminApi.createProviderKey;
import static dev.tollgate.controlplane.admin.AdminApi.withToken;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

@QuarkusTest
class AdaptiveConcurrencyResourceTest {

  @Inject AgroalDataSource dataSource;

  @Test
  void listsAdaptiveKeysOfAGroupPageByPage() throws SQLException {
    // Given a group with three adaptive provider keys and one fixed
    long group = createGroup();
    long first = createProviderKey(group, "sk-one-1111");
    long second = createProviderKey(group, "sk-two-2222");
    long third = createProviderKey(group, "sk-three-3333");
    long fixed = createProviderKey(group, "sk-fixed-4444");
    sql("UPDATE provider_key SET max_concurrent = 8 WHERE id = " + fixed);
    sql(
        "UPDATE provider_key SET learned_max_concurrent = 12, upstream_429_rpm = 1,"
            + " upstream_429_concurrency = 2, upstream_429_unknown = 3 WHERE id = "
            + first);

    // When the group's adaptive keys are listed two at a time
    JsonPath page1 = list("group_id=" + group + "&limit=2");
    JsonPath page2 =
        list("group_id=" + group + "&limit=2&cursor=" + page1.getString("next_cursor"));

    // Then the fixed key is left out and the pages end
    assertThat(page1.getList("items.id", Long.class)).containsExactly(first, second);
    assertThat(page2.getList("items.id", Long.class)).containsExactly(third);
    assertThat(page2.getString("next_cursor")).isNull();
    assertThat(page1.getInt("items[0].learned_max_concurrent")).isEqualTo(12);
    assertThat(page1.getLong("items[0].upstream_429.concurrency")).isEqualTo(2);
    assertThat(page1.getLong("items[0].upstream_429.unknown")).isEqualTo(3);
    assertThat(page1.getString("items[1].learned_max_concurrent")).isNull();
  }

  @Test
  void groupWithoutAdaptiveKeysListsNothing() {
    long group = createGroup();
    JsonPath page = list("group_id=" + group);
    assertThat(page.getList("items")).isEmpty();
    assertThat(page.getString("next_cursor")).isNull();
  }

  @Test
  void statsOfAnAdaptiveKeyShowLearnedLimit429sAndHistoryNewestFirst() throws SQLException {
    // Given an adaptive key that learned 6 after three adjustments and a concurrency 429
    long key = createProviderKey(createGroup(), "sk-adaptive-5555");
    sql(
        "UPDATE provider_key SET learned_max_concurrent = 6, upstream_429_concurrency = 4,"
            + " last_429_at = '2025-05-01T10:00:00Z', last_429_kind = 'concurrency'"
            + " WHERE id = "
            + key);
    long oldest = adjustment(key, "2025-05-01T09:00:00Z", 10, 11, "increase");
    long middle = adjustment(key, "2025-05-01T09:30:00Z", 11, 12, "probe");
    long newest = adjustment(key, "2025-05-01T10:00:00Z", 12, 6, "concurrency_429");

    // When its stats are read with two adjustments per page
    JsonPath stats = stats(key, "adjustments_limit=2");
    JsonPath older =
        stats(
            key,
            "adjustments_limit=2&adjustments_cursor=" + stats.getString("adjustments.next_cursor"));

    // Then
    assertThat(stats.getString("mode")).isEqualTo("adaptive");
    assertThat(stats.getString("max_concurrent")).isNull();
    assertThat(stats.getInt("learned_max_concurrent")).isEqualTo(6);
    assertThat(stats.getInt("effective_limit")).isEqualTo(6);
    assertThat(stats.getLong("upstream_429.concurrency")).isEqualTo(4);
    assertThat(stats.getString("last_429_at")).isEqualTo("2025-05-01T10:00:00Z");
    assertThat(stats.getString("last_429_kind")).isEqualTo("concurrency");
    assertThat(stats.getList("adjustments.items.id", Long.class)).containsExactly(newest, middle);
    assertThat(stats.getString("adjustments.items[0].reason")).isEqualTo("concurrency_429");
    assertThat(stats.getInt("adjustments.items[0].new_limit")).isEqualTo(6);
    assertThat(older.getList("adjustments.items.id", Long.class)).containsExactly(oldest);
    assertThat(older.getString("adjustments.next_cursor")).isNull();
  }

  @Test
  void statsOfAFixedKeyApplyTheFixedLimitOverTheLearnedOne() throws SQLException {
    long key = createProviderKey(createGroup(), "sk-fixed-6666");
    sql(
        "UPDATE provider_key SET max_concurrent = 20, learned_max_concurrent = 7 WHERE id = "
            + key);

    JsonPath stats = stats(key, "");

    assertThat(stats.getString("mode")).isEqualTo("fixed");
    assertThat(stats.getInt("max_concurrent")).isEqualTo(20);
    assertThat(stats.getInt("learned_max_concurrent")).isEqualTo(7);
    assertThat(stats.getInt("effective_limit")).isEqualTo(20);
    assertThat(stats.getList("adjustments.items")).isEmpty();
  }

  @Test
  void summaryCountsAdaptiveKeys429sAndRecentAdjustments() throws SQLException {
    // Given the summary as it is
    JsonPath before = summary();

    // When an adaptive key with 429s and an adjustment a minute ago is added
    long key = createProviderKey(createGroup(), "sk-summary-7777");
    sql(
        "UPDATE provider_key SET learned_max_concurrent = 9, upstream_429_rpm = 5,"
            + " upstream_429_concurrency = 6, upstream_429_unknown = 7 WHERE id = "
            + key);
    long recent = adjustment(key, Instant.now().minusSeconds(60).toString(), 10, 9, "unknown_429");
    JsonPath after = summary();

    // Then
    assertThat(after.getLong("adaptive_keys")).isEqualTo(before.getLong("adaptive_keys") + 1);
    assertThat(after.getLong("learned_keys")).isEqualTo(before.getLong("learned_keys") + 1);
    assertThat(after.getLong("fixed_keys")).isEqualTo(before.getLong("fixed_keys"));
    assertThat(after.getLong("upstream_429.rpm")).isEqualTo(before.getLong("upstream_429.rpm") + 5);
    assertThat(after.getLong("upstream_429.concurrency"))
        .isEqualTo(before.getLong("upstream_429.concurrency") + 6);
    assertThat(after.getLong("upstream_429.unknown"))
        .isEqualTo(before.getLong("upstream_429.unknown") + 7);
    assertThat(after.getLong("adjustments_24h")).isEqualTo(before.getLong("adjustments_24h") + 1);
    assertThat(after.getList("recent_adjustments")).hasSizeLessThanOrEqualTo(10);
    assertThat(after.getList("recent_adjustments.id", Long.class)).contains(recent);
  }

  @Test
  void providerKeyResourceStillAnswersBesideConcurrencyStats() {
    long key = createProviderKey(createGroup(), "sk-plain-8888");
    asOperator().get("/admin/v1/provider-keys/" + key).then().statusCode(200);
  }

  @Test
  void statsOfAnUnknownProviderKeyIs404() {
    asOperator()
        .get("/admin/v1/provider-keys/999999999/concurrency-stats")
        .then()
        .statusCode(404)
        .contentType("application/problem+json")
        .body("field", equalTo("id"));
  }

  @Test
  void rejectsAdjustmentsLimitAboveMaximum() {
    long key = createProviderKey(createGroup(), "sk-limit-9999");
    expectBadRequest(
        "/admin/v1/provider-keys/" + key + "/concurrency-stats?adjustments_limit=1001",
        "adjustments_limit");
  }

  @Test
  void rejectsAdjustmentsCursorItDidNotIssue() {
    long key = createProviderKey(createGroup(), "sk-cursor-0000");
    expectBadRequest(
        "/admin/v1/provider-keys/" + key + "/concurrency-stats?adjustments_cursor=!!",
        "adjustments_cursor");
  }

  @Test
  void rejectsListLimitAboveMaximum() {
    expectBadRequest("/admin/v1/adaptive-concurrency/provider-keys?limit=1001", "limit");
  }

  @Test
  void rejectsNonNumericGroupId() {
    expectBadRequest("/admin/v1/adaptive-concurrency/provider-keys?group_id=x", "group_id");
  }

  @Test
  void rejectsListCursorItDidNotIssue() {
    expectBadRequest("/admin/v1/adaptive-concurrency/provider-keys?cursor=bm9wZQ", "cursor");
  }

  @Test
  void refusesEveryReadWithoutOperatorToken() {
    given().get("/admin/v1/adaptive-concurrency/provider-keys").then().statusCode(401);
    given().get("/admin/v1/adaptive-concurrency/summary").then().statusCode(401);
    given().get("/admin/v1/provider-keys/1/concurrency-stats").then().statusCode(401);
  }

  @Test
  void viewerTokenReadsAdaptiveConcurrency() {
    String viewer = createOperatorToken("viewer");
    long key = createProviderKey(createGroup(), "sk-viewer-1212");

    withToken(viewer).get("/admin/v1/adaptive-concurrency/provider-keys").then().statusCode(200);
    withToken(viewer).get("/admin/v1/adaptive-concurrency/summary").then().statusCode(200);
    withToken(viewer)
        .get("/admin/v1/provider-keys/" + key + "/concurrency-stats")
        .then()
        .statusCode(200);
  }

  private static JsonPath list(String query) {
    return asOperator()
        .get("/admin/v1/adaptive-concurrency/provider-keys?" + query)
        .then()
        .statusCode(200)
        .extract()
        .jsonPath();
  }

  private static JsonPath stats(long key, String query) {
    return asOperator()
        .get(
            "/admin/v1/provider-keys/"
                + key
                + "/concurrency-stats"
                + (query.isEmpty() ? "" : "?" + query))
        .then()
        .statusCode(200)
        .extract()
        .jsonPath();
  }

  private static JsonPath summary() {
    return asOperator()
        .get("/admin/v1/adaptive-concurrency/summary")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath();
  }

  private static void expectBadRequest(String path, String field) {
    asOperator()
        .get(path)
        .then()
        .statusCode(400)
        .contentType("application/problem+json")
        .body("field", equalTo(field));
  }

  private void sql(String statement) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s = c.prepareStatement(statement)) {
      s.executeUpdate();
    }
  }

  private long adjustment(long key, String at, int oldLimit, int newLimit, String reason)
      throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO concurrency_adjustment (provider_key_id, adjusted_at, old_limit,"
                    + " new_limit, reason, utilisation, dp_instance_id)"
                    + " VALUES (?, ?, ?, ?, ?, 0.9, 'dp-test') RETURNING id")) {
      s.setLong(1, key);
      s.setObject(2, Instant.parse(at).atOffset(ZoneOffset.UTC));
      s.setInt(3, oldLimit);
      s.setInt(4, newLimit);
      s.setString(5, reason);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    }
  }
}
