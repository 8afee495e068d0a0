package dev.tollgate.controlplane.keys;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.admin.AdminApi.createGroup;
import static dev.tollgate.controlplane.admin.AdminApi.createKey;
import static dev.tollgate.controlplane.admin.AdminApi.createUser;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ApiKeyChangeTest {

  @Inject DataSource dataSource;

  @Test
  void patchesEveryFieldAndTakesANewRevision() throws Exception {
    // Given
    long userId = createUser();
    long groupA = createGroup();
    long groupB = createGroup();
    long id = createKey(userId, List.of(groupA)).getLong("id");
    long before = revisionOf(id);
    Map<String, Object> body = new HashMap<>();
    body.put("name", "renamed");
    body.put("expires_at", "2099-01-01T00:00:00Z");
    body.put("quota_limit", 1000);
    body.put("rpm_limit", 60);
    body.put("concurrency_limit", 3);
    body.put("allowed_models", List.of("gpt-4o"));
    body.put("ip_allow", List.of("10.0.0.0/8", "2001:db8::/32"));
    body.put("ip_deny", List.of("10.1.2.3", "::1/128"));
    body.put("group_ids", List.of(groupB));

    // When
    JsonPath patched =
        asOperator()
            .body(body)
            .patch("/admin/v1/keys/" + id)
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();

    // Then
    assertThat(patched.getString("name")).isEqualTo("renamed");
    assertThat(patched.getString("expires_at")).isEqualTo("2099-01-01T00:00:00Z");
    assertThat(patched.getLong("quota_limit")).isEqualTo(1000);
    assertThat(patched.getInt("rpm_limit")).isEqualTo(60);
    assertThat(patched.getInt("concurrency_limit")).isEqualTo(3);
    assertThat(patched.getList("allowed_models")).containsExactly("gpt-4o");
    assertThat(patched.getList("ip_allow")).containsExactly("10.0.0.0/8", "2001:db8::/32");
    assertThat(patched.getList("ip_deny")).containsExactly("10.1.2.3", "::1/128");
    assertThat(patched.getList("group_ids", Long.class)).containsExactly(groupB);
    assertThat(revisionOf(id)).isGreaterThan(before);
  }

  @Test
  void clearsExpiryWithNullButKeepsItWhenAbsent() {
    long id = createKey(createUser(), List.of()).getLong("id");
    asOperator().body(Map.of("expires_at", "2099-01-01T00:00:00Z")).patch("/admin/v1/keys/" + id);

    asOperator()
        .body(Map.of("name", "still-expiring"))
        .patch("/admin/v1/keys/" + id)
        .then()
        .body("expires_at", equalTo("2099-01-01T00:00:00Z"));
    asOperator()
        .body("{\"expires_at\":null}")
        .patch("/admin/v1/keys/" + id)
        .then()
        .statusCode(200)
        .body("expires_at", equalTo(null));
  }

  @Test
  void emptyPatchChangesNothing() throws Exception {
    long id = createKey(createUser(), List.of()).getLong("id");
    long before = revisionOf(id);

    asOperator().body("{}").patch("/admin/v1/keys/" + id).then().statusCode(200);

    assertThat(revisionOf(id)).isEqualTo(before);
  }

  @Test
  void refusesBadPatchFieldsNamingThem() {
    long id = createKey(createUser(), List.of()).getLong("id");
    Map<String, String> bad = new java.util.LinkedHashMap<>();
    bad.put("{\"ip_allow\":[\"10.0.0.0/33\"]}", "ip_allow");
    bad.put("{\"ip_deny\":[\"2001:db8::/129\"]}", "ip_deny");
    bad.put("{\"ip_allow\":[\"example.com\"]}", "ip_allow");
    bad.put("{\"group_ids\":[999999999]}", "group_ids");
    bad.put("{\"quota_limit\":-2}", "quota_limit");
    bad.put("{\"rpm_limit\":-1}", "rpm_limit");
    bad.put("{\"expires_at\":\"2000-01-01T00:00:00Z\"}", "expires_at");
    bad.put("{\"name\":\"\"}", "name");
    bad.put("{\"status\":\"revoked\"}", "status");
    for (var entry : bad.entrySet()) {
      asOperator()
          .body(entry.getKey())
          .patch("/admin/v1/keys/" + id)
          .then()
          .statusCode(400)
          .body("field", equalTo(entry.getValue()));
    }
  }

  @Test
  void rotatesTheSecretReplacingTheHashAndShowingTheNewSecretOnce() throws Exception {
    // Given
    JsonPath created = createKey(createUser(), List.of());
    long id = created.getLong("id");
    long before = revisionOf(id);

    // When
    JsonPath rotated =
        asOperator()
            .post("/admin/v1/keys/" + id + "/rotate")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();

    // Then
    String secret = rotated.getString("key");
    assertThat(secret).matches("tg-[0-9A-Za-z]{40}").isNotEqualTo(created.getString("key"));
    assertThat(rotated.getString("prefix")).isEqualTo(secret.substring(0, 11));
    assertThat(tokenHashOf(id)).isEqualTo(ApiKeyService.sha256Hex(secret));
    assertThat(revisionOf(id)).isGreaterThan(before);
  }

  @Test
  void refusesToRotateARevokedKey() {
    long id = createKey(createUser(), List.of()).getLong("id");
    asOperator().delete("/admin/v1/keys/" + id);

    asOperator().post("/admin/v1/keys/" + id + "/rotate").then().statusCode(409);
    asOperator().post("/admin/v1/keys/999999999/rotate").then().statusCode(404);
  }

  @Test
  void resetsQuotaUsedAndReactivatesAnExhaustedKey() throws Exception {
    // Given
    long id = createKey(createUser(), List.of()).getLong("id");
    execute("UPDATE api_key SET quota_used = 500, status = 'quota_exhausted' WHERE id = ?", id);
    long before = revisionOf(id);

    // When
    asOperator()
        .post("/admin/v1/keys/" + id + "/reset-quota")
        .then()
        .statusCode(200)
        .body("quota_used", equalTo(0))
        .body("status", equalTo("active"));

    // Then
    assertThat(revisionOf(id)).isGreaterThan(before);
    asOperator().get("/admin/v1/keys/" + id).then().body("quota_used", equalTo(0));
  }

  @Test
  void resetQuotaKeepsADisabledKeyDisabled() throws Exception {
    long id = createKey(createUser(), List.of()).getLong("id");
    asOperator().body(Map.of("status", "disabled")).patch("/admin/v1/keys/" + id);
    execute("UPDATE api_key SET quota_used = 7 WHERE id = ?", id);

    asOperator()
        .post("/admin/v1/keys/" + id + "/reset-quota")
        .then()
        .statusCode(200)
        .body("quota_used", equalTo(0))
        .body("status", equalTo("disabled"));
  }

  private long revisionOf(long id) throws Exception {
    return query("SELECT config_revision FROM api_key WHERE id = ?", id, rows -> rows.getLong(1));
  }

  private String tokenHashOf(long id) throws Exception {
    return query("SELECT token_hash FROM api_key WHERE id = ?", id, rows -> rows.getString(1));
  }

  private interface Reader<T> {
    T read(ResultSet rows) throws Exception;
  }

  private <T> T query(String sql, long id, Reader<T> reader) throws Exception {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setLong(1, id);
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return reader.read(rows);
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
