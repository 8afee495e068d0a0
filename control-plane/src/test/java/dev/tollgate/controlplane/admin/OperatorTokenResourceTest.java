package dev.tollgate.controlplane.admin;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.admin.AdminApi.createOperatorToken;
import static dev.tollgate.controlplane.admin.AdminApi.createUser;
import static dev.tollgate.controlplane.admin.AdminApi.withToken;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class OperatorTokenResourceTest {

  @Test
  void createsATokenShowingTheSecretOnceAndListsIt() {
    // When
    JsonPath created =
        asOperator()
            .body(Map.of("name", "ci", "role", "viewer"))
            .post("/admin/v1/operator-tokens")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath();

    // Then
    String token = created.getString("token");
    assertThat(token).matches("tgo-[0-9A-Za-z]{40}");
    assertThat(created.getString("prefix")).isEqualTo(token.substring(0, 12));
    assertThat(created.getString("created_by")).isEqualTo("bootstrap");
    String read =
        asOperator()
            .get("/admin/v1/operator-tokens/" + created.getLong("id"))
            .then()
            .statusCode(200)
            .extract()
            .asString();
    assertThat(read).doesNotContain(token).doesNotContain("hash");
    JsonPath page =
        asOperator()
            .get("/admin/v1/operator-tokens?page_size=1000")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(page.getList("items.id", Long.class)).contains(created.getLong("id"));
  }

  @Test
  void viewerMayReadButNotChange() {
    String viewer = createOperatorToken("viewer");
    long userId = createUser();

    withToken(viewer).get("/admin/v1/users/" + userId).then().statusCode(200);
    withToken(viewer).get("/admin/v1/keys?limit=1").then().statusCode(200);
    withToken(viewer)
        .body(Map.of("name", "nope"))
        .post("/admin/v1/users")
        .then()
        .statusCode(403)
        .contentType(startsWith("application/problem+json"))
        .body("field", equalTo("Authorization"));
    withToken(viewer).body("{}").patch("/admin/v1/users/" + userId).then().statusCode(403);
    withToken(viewer).delete("/admin/v1/users/" + userId).then().statusCode(403);
    withToken(viewer).get("/admin/v1/operator-tokens").then().statusCode(403);
    asOperator().get("/admin/v1/users/" + userId).then().body("status", equalTo("active"));
  }

  @Test
  void adminTokenMayChangeAndIsNamedInTheAuditLog() {
    String admin = createOperatorToken("admin");
    long tokenId =
        withToken(admin)
            .body(Map.of("name", "made-by-token", "role", "viewer"))
            .post("/admin/v1/operator-tokens")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath()
            .getLong("id");

    long userId =
        withToken(admin)
            .body(Map.of("name", "by-admin-token"))
            .post("/admin/v1/users")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath()
            .getLong("id");

    String actor =
        asOperator()
            .get("/admin/v1/operator-tokens/" + tokenId)
            .then()
            .extract()
            .jsonPath()
            .getString("created_by");
    assertThat(actor).startsWith("token:");
    asOperator()
        .get("/admin/v1/audit-log?entity_type=user&entity_id=" + userId)
        .then()
        .statusCode(200)
        .body("items[0].actor", equalTo(actor))
        .body("items[0].action", equalTo("create"));
  }

  @Test
  void aRevokedTokenStopsWorking() {
    JsonPath created =
        asOperator()
            .body(Map.of("name", "short-lived", "role", "admin"))
            .post("/admin/v1/operator-tokens")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath();
    String token = created.getString("token");
    withToken(token).get("/admin/v1/users?limit=1").then().statusCode(200);

    asOperator()
        .delete("/admin/v1/operator-tokens/" + created.getLong("id"))
        .then()
        .statusCode(204);

    // The replica that revoked it drops its cache entry at once.
    withToken(token).get("/admin/v1/users?limit=1").then().statusCode(401);
    asOperator()
        .get("/admin/v1/operator-tokens/" + created.getLong("id"))
        .then()
        .body("revoked_at", org.hamcrest.Matchers.notNullValue());
  }

  @Test
  void refusesUnknownTokensAndBadBodies() {
    withToken("tgo-unknown").get("/admin/v1/users?limit=1").then().statusCode(401);
    asOperator()
        .body(Map.of("name", "x", "role", "root"))
        .post("/admin/v1/operator-tokens")
        .then()
        .statusCode(400)
        .body("field", equalTo("role"));
    asOperator()
        .body(Map.of("role", "admin"))
        .post("/admin/v1/operator-tokens")
        .then()
        .statusCode(400)
        .body("field", equalTo("name"));
    asOperator().delete("/admin/v1/operator-tokens/999999999").then().statusCode(404);
  }
}
