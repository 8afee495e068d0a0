package dev.tollgate.controlplane.keys;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.admin.AdminApi.createGroup;
import static dev.tollgate.controlplane.admin.AdminApi.createKey;
import static dev.tollgate.controlplane.admin.AdminApi.createUser;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ApiKeyResourceTest {

  @Inject DataSource dataSource;

  @Test
  void createsKeyShowingTheSecretOnlyOnce() {
    // Given
    long userId = createUser();
    long groupA = createGroup();
    long groupB = createGroup();

    // When
    var created = createKey(userId, List.of(groupB, groupA));
    String secret = created.getString("key");
    long id = created.getLong("id");
    String read =
        asOperator().get("/admin/v1/keys/" + id).then().statusCode(200).extract().asString();

    // Then
    assertThat(secret).matches("tg-[0-9A-Za-z]{40}");
    assertThat(created.getString("prefix")).isEqualTo(secret.substring(0, 11));
    assertThat(created.getLong("user_id")).isEqualTo(userId);
    assertThat(created.getList("group_ids", Long.class))
        .containsExactly(Math.min(groupA, groupB), Math.max(groupA, groupB));
    assertThat(created.getString("status")).isEqualTo("active");
    assertThat(created.getString("created_at")).isNotNull();
    assertThat(read).doesNotContain(secret).doesNotContain("token_hash").doesNotContain("\"key\"");
  }

  @Test
  void readsKeyWithItsCountersAndLimits() {
    long userId = createUser();
    long id = createKey(userId, List.of()).getLong("id");

    asOperator()
        .get("/admin/v1/keys/" + id)
        .then()
        .statusCode(200)
        .body("user_id", equalTo((int) userId))
        .body("status", equalTo("active"))
        .body("quota_limit", equalTo(-1))
        .body("quota_used", equalTo(0))
        .body("requests", equalTo(0))
        .body("success_requests", equalTo(0))
        .body("failure_requests", equalTo(0))
        .body("prompt_tokens", equalTo(0))
        .body("completion_tokens", equalTo(0))
        .body("total_tokens", equalTo(0))
        .body("last_accessed_at", equalTo(null))
        .body("expires_at", equalTo(null));
  }

  @Test
  void storesOnlyTheSha256OfTheSecret() throws Exception {
    // Given
    var created = createKey(createUser(), List.of());

    // When
    String stored = column(created.getLong("id"), "token_hash");

    // Then
    String expected =
        HexFormat.of()
            .formatHex(
                MessageDigest.getInstance("SHA-256")
                    .digest(created.getString("key").getBytes(StandardCharsets.UTF_8)));
    assertThat(stored).isEqualTo(expected);
  }

  @Test
  void acceptsOptionalLimits() {
    Map<String, Object> body = body(createUser());
    body.put("expires_at", "2099-01-01T00:00:00Z");
    body.put("quota_limit", 1000);
    body.put("rpm_limit", 60);
    body.put("concurrency_limit", 2);
    body.put("tpm_limit", 5000);
    body.put("allowed_models", List.of("gpt-4o-mini"));
    body.put("ip_allow", List.of("10.0.0.0/8", "2001:db8::/32"));
    body.put("ip_deny", List.of("10.1.2.3"));

    asOperator()
        .body(body)
        .post("/admin/v1/keys")
        .then()
        .statusCode(201)
        .body("expires_at", equalTo("2099-01-01T00:00:00Z"))
        .body("quota_limit", equalTo(1000))
        .body("rpm_limit", equalTo(60))
        .body("tpm_limit", equalTo(5000))
        .body("allowed_models", contains("gpt-4o-mini"))
        .body("ip_allow", contains("10.0.0.0/8", "2001:db8::/32"))
        .body("ip_deny", contains("10.1.2.3"));
  }

  @Test
  void refusesANegativeTpmLimitNamingTheField() {
    Map<String, Object> body = body(createUser());
    body.put("tpm_limit", -1);

    asOperator()
        .body(body)
        .post("/admin/v1/keys")
        .then()
        .statusCode(400)
        .body("field", equalTo("tpm_limit"));
  }

  @Test
  void disablesAndReactivatesKeyTakingANewRevisionEachTime() throws Exception {
    // Given
    long id = createKey(createUser(), List.of()).getLong("id");
    long createdRevision = Long.parseLong(column(id, "config_revision"));

    // When
    asOperator()
        .body(Map.of("status", "disabled"))
        .patch("/admin/v1/keys/" + id)
        .then()
        .statusCode(200)
        .body("status", equalTo("disabled"));
    long disabledRevision = Long.parseLong(column(id, "config_revision"));
    asOperator()
        .body(Map.of("status", "active"))
        .patch("/admin/v1/keys/" + id)
        .then()
        .statusCode(200)
        .body("status", equalTo("active"));

    // Then
    assertThat(disabledRevision).isGreaterThan(createdRevision);
    assertThat(Long.parseLong(column(id, "config_revision"))).isGreaterThan(disabledRevision);
  }

  @Test
  void keepsCountersTheFlushWroteWhenStatusChanges() throws Exception {
    // Given a key whose counters the usage flush advanced
    long id = createKey(createUser(), List.of()).getLong("id");
    execute(
        "UPDATE api_key SET requests = 7, rate_limited_requests = 2, estimated_requests = 1,"
            + " quota_used = 70, last_accessed_at = now() WHERE id = ?",
        id);

    // When
    asOperator()
        .body(Map.of("status", "disabled"))
        .patch("/admin/v1/keys/" + id)
        .then()
        .statusCode(200)
        .body("requests", equalTo(7))
        .body("rate_limited_requests", equalTo(2))
        .body("estimated_requests", equalTo(1));

    // Then
    assertThat(column(id, "requests")).isEqualTo("7");
    assertThat(column(id, "quota_used")).isEqualTo("70");
    assertThat(column(id, "last_accessed_at")).isNotNull();
  }

  @Test
  void rejectsStatusOtherThanActiveOrDisabled() {
    long id = createKey(createUser(), List.of()).getLong("id");

    for (String status : List.of("revoked", "expired", "paused")) {
      asOperator()
          .body(Map.of("status", status))
          .patch("/admin/v1/keys/" + id)
          .then()
          .statusCode(400)
          .contentType(startsWith("application/problem+json"))
          .body("field", equalTo("status"));
    }
  }

  @Test
  void revokesKeyIdempotentlyAndRefusesToReactivateIt() {
    // Given
    long id = createKey(createUser(), List.of()).getLong("id");

    // When
    asOperator().delete("/admin/v1/keys/" + id).then().statusCode(204);
    asOperator().delete("/admin/v1/keys/" + id).then().statusCode(204);

    // Then
    asOperator().get("/admin/v1/keys/" + id).then().body("status", equalTo("revoked"));
    asOperator()
        .body(Map.of("status", "active"))
        .patch("/admin/v1/keys/" + id)
        .then()
        .statusCode(409)
        .contentType(startsWith("application/problem+json"))
        .body("field", equalTo("status"));
  }

  @Test
  void rejectsUnknownUserNamingUserId() {
    expectBadRequest(body(999_999_999L), "user_id");
  }

  @Test
  void rejectsUnknownGroupNamingGroupIds() {
    Map<String, Object> body = body(createUser());
    body.put("group_ids", List.of(createGroup(), 999_999_999L));
    expectBadRequest(body, "group_ids");
  }

  @Test
  void rejectsDuplicateGroupIds() {
    long groupId = createGroup();
    Map<String, Object> body = body(createUser());
    body.put("group_ids", List.of(groupId, groupId));
    expectBadRequest(body, "group_ids");
  }

  @Test
  void rejectsMissingGroupIds() {
    Map<String, Object> body = body(createUser());
    body.remove("group_ids");
    expectBadRequest(body, "group_ids");
  }

  @Test
  void rejectsMissingName() {
    Map<String, Object> body = body(createUser());
    body.remove("name");
    expectBadRequest(body, "name");
  }

  @Test
  void rejectsGroupIdsOfWrongType() {
    Map<String, Object> body = body(createUser());
    body.put("group_ids", List.of("x"));
    expectBadRequest(body, "group_ids[0]");
  }

  @Test
  void rejectsQuotaBelowMinusOne() {
    Map<String, Object> body = body(createUser());
    body.put("quota_limit", -2);
    expectBadRequest(body, "quota_limit");
  }

  @Test
  void rejectsExpiryInThePast() {
    Map<String, Object> body = body(createUser());
    body.put("expires_at", "2001-01-01T00:00:00Z");
    expectBadRequest(body, "expires_at");
  }

  @Test
  void rejectsMalformedExpiry() {
    Map<String, Object> body = body(createUser());
    body.put("expires_at", "tomorrow");
    expectBadRequest(body, "expires_at");
  }

  @Test
  void rejectsInvalidCidr() {
    Map<String, Object> body = body(createUser());
    body.put("ip_allow", List.of("10.0.0.0/33"));
    expectBadRequest(body, "ip_allow");
  }

  @Test
  void rejectsHostNameInsteadOfCidr() {
    Map<String, Object> body = body(createUser());
    body.put("ip_deny", List.of("example.com"));
    expectBadRequest(body, "ip_deny");
  }

  @Test
  void answersUnknownKeyWith404OnEveryMethod() {
    asOperator().get("/admin/v1/keys/999999999").then().statusCode(404);
    asOperator()
        .body(Map.of("status", "disabled"))
        .patch("/admin/v1/keys/999999999")
        .then()
        .statusCode(404)
        .contentType(startsWith("application/problem+json"));
    asOperator().delete("/admin/v1/keys/999999999").then().statusCode(404);
  }

  @Test
  void requiresOperatorTokenOnEveryMethod() {
    given().get("/admin/v1/keys/1").then().statusCode(401);
    given().delete("/admin/v1/keys/1").then().statusCode(401);
    given()
        .header("Authorization", "Bearer wrong")
        .contentType("application/json")
        .body(Map.of("status", "disabled"))
        .patch("/admin/v1/keys/1")
        .then()
        .statusCode(401);
    given()
        .header("Authorization", "Bearer wrong")
        .contentType("application/json")
        .body(body(1))
        .post("/admin/v1/keys")
        .then()
        .statusCode(401);
  }

  private static Map<String, Object> body(long userId) {
    var body = new HashMap<String, Object>();
    body.put("user_id", userId);
    body.put("name", "ci");
    body.put("group_ids", List.of());
    return body;
  }

  private static void expectBadRequest(Map<String, Object> body, String field) {
    asOperator()
        .body(body)
        .post("/admin/v1/keys")
        .then()
        .statusCode(400)
        .contentType(startsWith("application/problem+json"))
        .body("field", equalTo(field));
  }

  private String column(long id, String column) throws Exception {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement("SELECT " + column + " FROM api_key WHERE id = ?")) {
      statement.setLong(1, id);
      try (ResultSet rows = statement.executeQuery()) {
        assertThat(rows.next()).isTrue();
        return rows.getString(1);
      }
    }
  }

  private void execute(String sql, long id) throws Exception {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setLong(1, id);
      statement.executeUpdate();
    }
  }
}
