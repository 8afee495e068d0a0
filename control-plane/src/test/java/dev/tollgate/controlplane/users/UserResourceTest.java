package dev.tollgate.controlplane.users;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class UserResourceTest {

  @Test
  void createsUserWithDefaultsAndReadsItBack() {
    // When
    var created =
        asOperator()
            .body(Map.of("name", "acme"))
            .post("/admin/v1/users")
            .then()
            .statusCode(201)
            .body("name", equalTo("acme"))
            .body("status", equalTo("active"))
            .body("rpm_limit", equalTo(0))
            .body("concurrency_limit", equalTo(0))
            .body("created_at", notNullValue())
            .extract()
            .jsonPath();

    // Then
    asOperator()
        .get("/admin/v1/users/" + created.getLong("id"))
        .then()
        .statusCode(200)
        .body("name", equalTo("acme"))
        .body("created_at", equalTo(created.getString("created_at")));
  }

  @Test
  void createsUserWithLimits() {
    asOperator()
        .body(Map.of("name", "limited", "rpm_limit", 60, "concurrency_limit", 4))
        .post("/admin/v1/users")
        .then()
        .statusCode(201)
        .body("rpm_limit", equalTo(60))
        .body("concurrency_limit", equalTo(4));
  }

  @Test
  void rejectsMissingName() {
    expectBadRequest("{}", "name");
  }

  @Test
  void rejectsBlankName() {
    expectBadRequest("{\"name\":\"  \"}", "name");
  }

  @Test
  void rejectsNameLongerThan200Characters() {
    expectBadRequest("{\"name\":\"" + "x".repeat(201) + "\"}", "name");
  }

  @Test
  void rejectsNegativeRpmLimit() {
    expectBadRequest("{\"name\":\"a\",\"rpm_limit\":-1}", "rpm_limit");
  }

  @Test
  void rejectsRpmLimitOfWrongType() {
    expectBadRequest("{\"name\":\"a\",\"rpm_limit\":\"ten\"}", "rpm_limit");
  }

  @Test
  void rejectsNumericStringForRpmLimit() {
    expectBadRequest("{\"name\":\"a\",\"rpm_limit\":\"10\"}", "rpm_limit");
  }

  @Test
  void rejectsFractionalRpmLimit() {
    expectBadRequest("{\"name\":\"a\",\"rpm_limit\":1.5}", "rpm_limit");
  }

  @Test
  void rejectsRpmLimitBeyondIntegerRange() {
    expectBadRequest("{\"name\":\"a\",\"rpm_limit\":99999999999}", "rpm_limit");
  }

  @Test
  void rejectsNumberAsName() {
    expectBadRequest("{\"name\":42}", "name");
  }

  @Test
  void rejectsUnknownField() {
    expectBadRequest("{\"name\":\"a\",\"colour\":\"blue\"}", "colour");
  }

  @Test
  void rejectsMalformedJsonAsProblem() {
    asOperator()
        .body("{\"name\":")
        .post("/admin/v1/users")
        .then()
        .statusCode(400)
        .contentType(startsWith("application/problem+json"))
        .body("status", equalTo(400))
        .body("detail", startsWith("malformed JSON"));
  }

  @Test
  void rejectsEmptyBody() {
    asOperator()
        .post("/admin/v1/users")
        .then()
        .statusCode(400)
        .contentType(startsWith("application/problem+json"));
  }

  @Test
  void answersUnknownUserWith404Problem() {
    asOperator()
        .get("/admin/v1/users/999999999")
        .then()
        .statusCode(404)
        .contentType(startsWith("application/problem+json"))
        .body("status", equalTo(404))
        .body("field", equalTo("id"));
  }

  @Test
  void answersNonNumericIdWith404() {
    asOperator().get("/admin/v1/users/abc").then().statusCode(404);
  }

  @Test
  void requiresOperatorToken() {
    given()
        .contentType("application/json")
        .body(Map.of("name", "x"))
        .post("/admin/v1/users")
        .then()
        .statusCode(401);
    given().header("Authorization", "Bearer wrong").get("/admin/v1/users/1").then().statusCode(401);
  }

  private static void expectBadRequest(String body, String field) {
    asOperator()
        .body(body)
        .post("/admin/v1/users")
        .then()
        .statusCode(400)
        .contentType(startsWith("application/problem+json"))
        .body("type", equalTo("about:blank"))
        .body("title", equalTo("Bad Request"))
        .body("status", equalTo(400))
        .body("field", equalTo(field))
        .body("detail", notNullValue());
  }
}
