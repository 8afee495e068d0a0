package dev.tollgate.controlplane.admin;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Creates admin-API fixtures through the API itself, each with a unique name. */
public final class AdminApi {

  public static final String ADMIN_TOKEN = "test-admin-token";

  private AdminApi() {}

  public static RequestSpecification asOperator() {
    return given().header("Authorization", "Bearer " + ADMIN_TOKEN).contentType(ContentType.JSON);
  }

  /** A request carrying {@code token} as its bearer token. */
  public static RequestSpecification withToken(String token) {
    return given().header("Authorization", "Bearer " + token).contentType(ContentType.JSON);
  }

  /** Creates an operator token with {@code role} and returns its secret. */
  public static String createOperatorToken(String role) {
    return asOperator()
        .body(Map.of("name", unique(role), "role", role))
        .post("/admin/v1/operator-tokens")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath()
        .getString("token");
  }

  public static String unique(String name) {
    return name + "-" + UUID.randomUUID();
  }

  public static long createUser() {
    return createUser(unique("user"));
  }

  public static long createUser(String name) {
    return asOperator()
        .body(Map.of("name", name))
        .post("/admin/v1/users")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath()
        .getLong("id");
  }

  public static long createGroup(String... models) {
    return asOperator()
        .body(
            Map.of(
                "name",
                unique("group"),
                "platform",
                "openai",
                "models",
                models.length == 0 ? List.of("gpt-4o-mini") : List.of(models)))
        .post("/admin/v1/provider-groups")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath()
        .getLong("id");
  }

  public static long createProviderKey(long groupId, String secret) {
    return asOperator()
        .body(
            Map.of("group_id", groupId, "base_url", "https://api.openai.com/v1", "secret", secret))
        .post("/admin/v1/provider-keys")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath()
        .getLong("id");
  }

  /** Returns the created key's JSON answer (with its one-time secret under "key"). */
  public static io.restassured.path.json.JsonPath createKey(long userId, List<Long> groupIds) {
    return asOperator()
        .body(Map.of("user_id", userId, "name", unique("key"), "group_ids", groupIds))
        .post("/admin/v1/keys")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath();
  }
}
