package dev.tollgate.controlplane.ratelimit;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.admin.AdminApi.createOperatorToken;
import static dev.tollgate.controlplane.admin.AdminApi.unique;
import static dev.tollgate.controlplane.admin.AdminApi.withToken;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.agroal.api.AgroalDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class RpmStatusResourceTest {

  @Inject AgroalDataSource dataSource;
  @Inject RedisDataSource redis;

  @Test
  void keyStatusShowsEveryScopeWithThisMinutesCounters() throws SQLException {
    // Given a user (100/min) with a key (10/min) bound to four groups: A without an override, B
    // overridden to 5, C exempt (override 0), D with an override row that inherits (NULL)
    long user = user(100);
    long groupA = group(50);
    long groupB = group(30);
    long groupC = group(40);
    long groupD = group(20);
    override(user, groupB, 5);
    override(user, groupC, 0);
    override(user, groupD, null);
    long key = key(user, 10, List.of(groupA, groupB, groupC, groupD));
    // and this minute's counters as the data plane writes them
    counters(
        Map.of(
            "tg:rpm:key:" + key, 3L,
            "tg:rpm:user:" + user, 7L,
            "tg:rpm:group:" + groupA, 20L,
            "tg:rpm:ug:" + user + ":" + groupB, 4L,
            "tg:rpm:group:" + groupD, 15L));

    // When
    JsonPath status = rpmStatus("/admin/v1/keys/" + key + "/rpm-status");

    // Then
    assertThat(status.getString("subject")).isEqualTo("key");
    assertThat(status.getLong("id")).isEqualTo(key);
    assertScope(status, 0, "key", key, 10, 3, 7L);
    assertScope(status, 1, "user", user, 100, 7, 93L);
    assertScope(status, 2, "group", groupA, 50, 20, 30L);
    assertScope(status, 3, "user_group", groupB, 5, 4, 1L);
    assertThat(status.getLong("scopes[3].user_id")).isEqualTo(user);
    assertScope(status, 4, "user_group", groupC, 0, 0, null);
    assertScope(status, 5, "group", groupD, 20, 15, 5L);
    assertThat(status.getList("scopes")).hasSize(6);
    assertThat(status.getInt("scopes[0].resets_in_seconds")).isBetween(1, 60);
    assertThat(status.getMap("scopes[0]")).doesNotContainKey("user_id");
  }

  @Test
  void readingStatusCountsNoRequest() throws SQLException {
    // Given a key with 2 requests this minute
    long user = user(0);
    long key = key(user, 10, List.of(group(0)));
    counters(Map.of("tg:rpm:key:" + key, 2L));

    // When rpm-status is read twice
    rpmStatus("/admin/v1/keys/" + key + "/rpm-status");
    JsonPath second = rpmStatus("/admin/v1/keys/" + key + "/rpm-status");

    // Then the counter is unchanged
    assertScope(second, 0, "key", key, 10, 2, 8L);
  }

  @Test
  void useAboveTheLimitLeavesNothingRemaining() throws SQLException {
    long user = user(5);
    long key = key(user, 0, List.of(group(0)));
    counters(Map.of("tg:rpm:user:" + user, 9L));

    JsonPath status = rpmStatus("/admin/v1/keys/" + key + "/rpm-status");

    assertScope(status, 1, "user", user, 5, 9, 0L);
  }

  @Test
  void unlimitedScopesHaveNoRemaining() throws SQLException {
    long user = user(0);
    long group = group(0);
    long key = key(user, 0, List.of(group));

    JsonPath status = rpmStatus("/admin/v1/keys/" + key + "/rpm-status");

    assertScope(status, 0, "key", key, 0, 0, null);
    assertScope(status, 1, "user", user, 0, 0, null);
    assertScope(status, 2, "group", group, 0, 0, null);
  }

  @Test
  void userStatusCoversGroupsOfItsKeysAndItsOverridesButNotOfRevokedKeys() throws SQLException {
    // Given a user with a key in group A, a revoked key in group B, and an override for group C
    long user = user(60);
    long groupA = group(10);
    long groupB = group(20);
    long groupC = group(30);
    key(user, 0, List.of(groupA));
    long revoked = key(user, 0, List.of(groupB));
    asOperator().delete("/admin/v1/keys/" + revoked).then().statusCode(204);
    override(user, groupC, 8);
    counters(Map.of("tg:rpm:user:" + user, 12L, "tg:rpm:ug:" + user + ":" + groupC, 3L));

    // When
    JsonPath status = rpmStatus("/admin/v1/users/" + user + "/rpm-status");

    // Then
    assertThat(status.getString("subject")).isEqualTo("user");
    assertScope(status, 0, "user", user, 60, 12, 48L);
    assertScope(status, 1, "group", groupA, 10, 0, 10L);
    assertScope(status, 2, "user_group", groupC, 8, 3, 5L);
    assertThat(status.getList("scopes")).hasSize(3);
  }

  @Test
  void unknownKeyIs404() {
    asOperator()
        .get("/admin/v1/keys/999999999/rpm-status")
        .then()
        .statusCode(404)
        .contentType("application/problem+json")
        .body("field", equalTo("id"));
  }

  @Test
  void unknownUserIs404() {
    asOperator()
        .get("/admin/v1/users/999999999/rpm-status")
        .then()
        .statusCode(404)
        .contentType("application/problem+json");
  }

  @Test
  void refusesWithoutOperatorToken() {
    given().get("/admin/v1/keys/1/rpm-status").then().statusCode(401);
    given().get("/admin/v1/users/1/rpm-status").then().statusCode(401);
  }

  @Test
  void userResourceStillAnswersBesideRpmStatus() {
    long user = user(0);
    asOperator()
        .get("/admin/v1/users/" + user)
        .then()
        .statusCode(200)
        .body("id", equalTo((int) user));
  }

  @Test
  void viewerTokenReadsRpmStatus() {
    String viewer = createOperatorToken("viewer");
    long user = user(0);
    long key = key(user, 0, List.of(group(0)));

    withToken(viewer).get("/admin/v1/keys/" + key + "/rpm-status").then().statusCode(200);
    withToken(viewer).get("/admin/v1/users/" + user + "/rpm-status").then().statusCode(200);
  }

  private static void assertScope(
      JsonPath status, int index, String scope, long id, int limit, long used, Long remaining) {
    String at = "scopes[" + index + "].";
    assertThat(status.getString(at + "scope")).as(at + "scope").isEqualTo(scope);
    assertThat(status.getLong(at + "id")).as(at + "id").isEqualTo(id);
    assertThat(status.getInt(at + "limit")).as(at + "limit").isEqualTo(limit);
    assertThat(status.getLong(at + "used")).as(at + "used").isEqualTo(used);
    if (remaining == null) {
      assertThat(status.getString(at + "remaining")).as(at + "remaining").isNull();
    } else {
      assertThat(status.getLong(at + "remaining")).as(at + "remaining").isEqualTo(remaining);
    }
  }

  private static JsonPath rpmStatus(String path) {
    return asOperator().get(path).then().statusCode(200).extract().jsonPath();
  }

  /**
   * Writes the counters for the current Redis minute and the next one, so a minute that turns
   * between this write and the endpoint's read cannot change what it sees.
   */
  private void counters(Map<String, Long> values) {
    long minute = Long.parseLong(redis.execute("TIME").get(0).toString()) / 60;
    for (var e : values.entrySet()) {
      for (long m = minute; m <= minute + 1; m++) {
        redis.execute("SET", e.getKey() + ":" + m, e.getValue().toString(), "EX", "180");
      }
    }
  }

  private static long user(int rpmLimit) {
    return asOperator()
        .body(Map.of("name", unique("user"), "rpm_limit", rpmLimit))
        .post("/admin/v1/users")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath()
        .getLong("id");
  }

  private static long group(int rpmLimit) {
    return asOperator()
        .body(
            Map.of(
                "name",
                unique("group"),
                "platform",
                "openai",
                "models",
                List.of("gpt-4o-mini"),
                "rpm_limit",
                rpmLimit))
        .post("/admin/v1/provider-groups")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath()
        .getLong("id");
  }

  private static long key(long user, int rpmLimit, List<Long> groups) {
    return asOperator()
        .body(
            Map.of(
                "user_id", user, "name", unique("key"), "group_ids", groups, "rpm_limit", rpmLimit))
        .post("/admin/v1/keys")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath()
        .getLong("id");
  }

  private void override(long user, long group, Integer rpm) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO user_group_limit (user_id, group_id, rpm_override, config_revision)"
                    + " VALUES (?, ?, ?, 0)")) {
      s.setLong(1, user);
      s.setLong(2, group);
      s.setObject(3, rpm);
      s.executeUpdate();
    }
  }
}
