package dev.tollgate.controlplane.admin;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

@QuarkusTest
class AdminAuthFilterTest {

  @Test
  void rejectsAdminRequestWithoutTokenAsProblem() {
    // Given no Authorization header
    // When / Then
    given()
        .get("/admin/v1/users/1")
        .then()
        .statusCode(401)
        .contentType(startsWith("application/problem+json"))
        .header("WWW-Authenticate", "Bearer")
        .body("status", equalTo(401))
        .body("title", equalTo("Unauthorized"))
        .body("field", equalTo("Authorization"));
  }

  @Test
  void rejectsAdminRequestWithWrongToken() {
    given()
        .header("Authorization", "Bearer not-the-token")
        .post("/admin/v1/users")
        .then()
        .statusCode(401)
        .contentType(startsWith("application/problem+json"));
  }

  @Test
  void rejectsTokenThatIsOnlyAPrefixOfTheRealOne() {
    given()
        .header("Authorization", "Bearer " + AdminApi.ADMIN_TOKEN.substring(0, 5))
        .get("/admin/v1/keys/1")
        .then()
        .statusCode(401);
  }

  @Test
  void rejectsUnknownAdminPathWithoutTokenBeforeRevealingIt() {
    given().get("/admin/v1/no-such-thing").then().statusCode(401);
  }

  @Test
  void answersUnknownAdminPathWithTokenAsProblem404() {
    AdminApi.asOperator()
        .get("/admin/v1/no-such-thing")
        .then()
        .statusCode(404)
        .contentType(startsWith("application/problem+json"))
        .body("status", equalTo(404));
  }

  @Test
  void leavesHealthEndpointsOpen() {
    given().get("/q/health/live").then().statusCode(200);
  }
}
