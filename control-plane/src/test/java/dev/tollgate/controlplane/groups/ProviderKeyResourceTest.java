package dev.tollgate.controlplane.groups;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.admin.AdminApi.createGroup;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

import dev.tollgate.controlplane.admin.AdminApi;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ProviderKeyResourceTest {

  private static final String SECRET = "sk-test-0123456789abcdefWXYZ";

  @Inject DataSource dataSource;
  @Inject SecretCipher cipher;

  @Test
  void createsProviderKeyWithoutEverShowingTheSecret() {
    // Given
    long groupId = createGroup();

    // When
    String created =
        asOperator()
            .body(
                Map.of(
                    "group_id",
                    groupId,
                    "base_url",
                    "https://api.openai.com/v1/",
                    "secret",
                    SECRET,
                    "priority",
                    2,
                    "weight",
                    5,
                    "max_concurrent",
                    8))
            .post("/admin/v1/provider-keys")
            .then()
            .statusCode(201)
            .body("group_id", equalTo((int) groupId))
            .body("base_url", equalTo("https://api.openai.com/v1"))
            .body("secret_hint", equalTo("…WXYZ"))
            .body("priority", equalTo(2))
            .body("weight", equalTo(5))
            .body("max_concurrent", equalTo(8))
            .body("status", equalTo("active"))
            .body("requests", equalTo(0))
            .body("total_tokens", equalTo(0))
            .body("last_used_at", nullValue())
            .extract()
            .asString();
    long id = io.restassured.path.json.JsonPath.from(created).getLong("id");
    String read =
        asOperator()
            .get("/admin/v1/provider-keys/" + id)
            .then()
            .statusCode(200)
            .extract()
            .asString();

    // Then
    assertThat(created).doesNotContain(SECRET).doesNotContain("secret\"");
    assertThat(read).doesNotContain(SECRET).contains("\"secret_hint\":\"…WXYZ\"");
  }

  @Test
  void storesSecretEncryptedSoThatItDecryptsBack() throws Exception {
    // Given
    long id = AdminApi.createProviderKey(createGroup(), SECRET);

    // When
    byte[] stored;
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "SELECT secret_ciphertext, secret_hint FROM provider_key WHERE id = ?")) {
      statement.setLong(1, id);
      try (ResultSet rows = statement.executeQuery()) {
        assertThat(rows.next()).isTrue();
        stored = rows.getBytes(1);
        assertThat(rows.getString(2)).isEqualTo("WXYZ");
      }
    }

    // Then
    assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain("sk-test");
    assertThat(stored.length).isEqualTo(12 + SECRET.length() + 16);
    assertThat(cipher.decrypt(stored)).isEqualTo(SECRET);
  }

  @Test
  void leavesMaxConcurrentNullForAdaptiveKeys() {
    long id = AdminApi.createProviderKey(createGroup(), SECRET);

    asOperator()
        .get("/admin/v1/provider-keys/" + id)
        .then()
        .statusCode(200)
        .body("max_concurrent", nullValue())
        .body("weight", equalTo(1))
        .body("priority", equalTo(0));
  }

  @Test
  void rejectsUnknownGroupNamingGroupId() {
    expectBadRequest(body(999_999_999L), "group_id");
  }

  @Test
  void rejectsMissingSecret() {
    Map<String, Object> body = body(createGroup());
    body.remove("secret");
    expectBadRequest(body, "secret");
  }

  @Test
  void rejectsRelativeBaseUrl() {
    Map<String, Object> body = body(createGroup());
    body.put("base_url", "api.openai.com/v1");
    expectBadRequest(body, "base_url");
  }

  @Test
  void rejectsNonHttpBaseUrl() {
    Map<String, Object> body = body(createGroup());
    body.put("base_url", "ftp://example.com/v1");
    expectBadRequest(body, "base_url");
  }

  @Test
  void rejectsWeightOutOfRange() {
    Map<String, Object> body = body(createGroup());
    body.put("weight", 0);
    expectBadRequest(body, "weight");
  }

  @Test
  void rejectsMaxConcurrentOutOfRange() {
    Map<String, Object> body = body(createGroup());
    body.put("max_concurrent", 1001);
    expectBadRequest(body, "max_concurrent");
  }

  @Test
  void rejectsGroupIdOfWrongType() {
    Map<String, Object> body = body(createGroup());
    body.put("group_id", "one");
    expectBadRequest(body, "group_id");
  }

  @Test
  void answersUnknownProviderKeyWith404() {
    asOperator()
        .get("/admin/v1/provider-keys/999999999")
        .then()
        .statusCode(404)
        .contentType(startsWith("application/problem+json"));
  }

  @Test
  void requiresOperatorToken() {
    given().get("/admin/v1/provider-keys/1").then().statusCode(401);
    given()
        .header("Authorization", "Bearer wrong")
        .get("/admin/v1/provider-keys/1")
        .then()
        .statusCode(401);
  }

  private static Map<String, Object> body(long groupId) {
    var body = new HashMap<String, Object>();
    body.put("group_id", groupId);
    body.put("base_url", "https://api.openai.com/v1");
    body.put("secret", SECRET);
    return body;
  }

  private static void expectBadRequest(Map<String, Object> body, String field) {
    asOperator()
        .body(body)
        .post("/admin/v1/provider-keys")
        .then()
        .statusCode(400)
        .contentType(startsWith("application/problem+json"))
        .body("field", equalTo(field));
  }
}
