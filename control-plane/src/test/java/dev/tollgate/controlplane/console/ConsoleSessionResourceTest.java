package dev.tollgate.controlplane.console;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import dev.tollgate.controlplane.admin.AdminApi;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ConsoleSessionResourceTest {

  @ConfigProperty(name = "quarkus.datasource.jdbc.url")
  String dbUrl;

  /** A signed-in browser: its cookie and CSRF token. */
  record Browser(String cookie, String csrf) {
    RequestSpecification request() {
      return given().cookie(ConsoleSessionService.COOKIE, cookie).contentType(ContentType.JSON);
    }

    RequestSpecification change() {
      return request().header(ConsoleSessionService.CSRF_HEADER, csrf);
    }
  }

  static Browser signIn(String token) {
    Response response =
        given()
            .contentType(ContentType.JSON)
            .body(Map.of("token", token))
            .post("/console/session")
            .then()
            .statusCode(200)
            .extract()
            .response();
    return new Browser(
        response.getCookie(ConsoleSessionService.COOKIE),
        response.jsonPath().getString("csrf_token"));
  }

  @Test
  void signInSetsAnHttpOnlyStrictCookieAndAnswersWhoWithTheCsrfToken() {
    // Given the bootstrap admin token
    // When it signs in
    Response response =
        given()
            .contentType(ContentType.JSON)
            .body(Map.of("token", AdminApi.ADMIN_TOKEN))
            .post("/console/session");

    // Then the session is in an HttpOnly, SameSite=Strict cookie for the whole origin, and the
    // answer names the operator, never the token
    response.then().statusCode(200).header("Cache-Control", "no-store");
    String setCookie = response.getHeader("Set-Cookie");
    assertThat(setCookie)
        .startsWith(ConsoleSessionService.COOKIE + "=")
        .contains("HttpOnly", "SameSite=Strict", "Path=/")
        .doesNotContain(AdminApi.ADMIN_TOKEN);
    assertThat(response.jsonPath().getString("actor")).isEqualTo("bootstrap");
    assertThat(response.jsonPath().getString("role")).isEqualTo("admin");
    assertThat(response.jsonPath().getString("csrf_token")).hasSizeGreaterThan(20);
    assertThat(response.asString()).doesNotContain(AdminApi.ADMIN_TOKEN);
  }

  @Test
  void refusesUnknownTokenWithProblemNamingTheField() {
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("token", "tgo-not-a-token"))
        .post("/console/session")
        .then()
        .statusCode(401)
        .contentType(startsWith("application/problem+json"))
        .body("field", equalTo("token"))
        .header("Set-Cookie", (String) null);
  }

  @Test
  void refusesSignInPostedFromAnotherSite() {
    given()
        .contentType(ContentType.JSON)
        .header("Origin", "https://evil.example")
        .body(Map.of("token", AdminApi.ADMIN_TOKEN))
        .post("/console/session")
        .then()
        .statusCode(403)
        .body("field", equalTo("Origin"));
  }

  @Test
  void sessionReadsTheAdminApiWithoutABearerToken() {
    Browser browser = signIn(AdminApi.ADMIN_TOKEN);

    browser.request().get("/admin/v1/keys/stats").then().statusCode(200);
    browser
        .request()
        .get("/console/session")
        .then()
        .statusCode(200)
        .body("actor", equalTo("bootstrap"))
        .body("csrf_token", equalTo(browser.csrf()));
  }

  @Test
  void refusesAChangeWithoutTheCsrfTokenAndChangesNothing() {
    // Given a signed-in admin
    Browser browser = signIn(AdminApi.ADMIN_TOKEN);
    String name = AdminApi.unique("csrf");

    // When a change comes with the cookie but without (or with a wrong) CSRF token
    browser
        .request()
        .body(Map.of("name", name))
        .post("/admin/v1/users")
        .then()
        .statusCode(403)
        .contentType(startsWith("application/problem+json"))
        .body("field", equalTo("X-CSRF-Token"));
    browser
        .request()
        .header(ConsoleSessionService.CSRF_HEADER, browser.csrf() + "x")
        .body(Map.of("name", name))
        .post("/admin/v1/users")
        .then()
        .statusCode(403);

    // Then no user of that name exists
    AdminApi.asOperator()
        .queryParam("search", name)
        .get("/admin/v1/users")
        .then()
        .statusCode(200)
        .body("total", equalTo(0));
  }

  @Test
  void changeWithTheCsrfTokenIsMadeAndAuditedAsTheTokensOperator() {
    // Given an admin operator token signed in to the console
    String token = AdminApi.createOperatorToken("admin");
    Browser browser = signIn(token);
    String actor = browser.request().get("/console/session").jsonPath().getString("actor");

    // When it creates a user through the admin API with the cookie and CSRF token
    long id =
        browser
            .change()
            .body(Map.of("name", AdminApi.unique("console")))
            .post("/admin/v1/users")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath()
            .getLong("id");

    // Then the audit log names that token
    assertThat(actor).startsWith("token:");
    AdminApi.asOperator()
        .queryParam("entity_type", "user")
        .queryParam("entity_id", id)
        .get("/admin/v1/audit-log")
        .then()
        .statusCode(200)
        .body("items[0].actor", equalTo(actor));
  }

  @Test
  void viewerSessionReadsButIsRefusedAChange() {
    Browser viewer = signIn(AdminApi.createOperatorToken("viewer"));

    viewer.request().get("/admin/v1/users").then().statusCode(200);
    viewer
        .change()
        .body(Map.of("name", AdminApi.unique("viewer")))
        .post("/admin/v1/users")
        .then()
        .statusCode(403)
        .contentType(startsWith("application/problem+json"));
    viewer.request().get("/admin/v1/operator-tokens").then().statusCode(403);
  }

  @Test
  void revokingTheOperatorTokenEndsItsSessions() {
    // Given a session opened with an operator token
    String token = AdminApi.createOperatorToken("admin");
    Browser browser = signIn(token);
    browser.request().get("/admin/v1/users").then().statusCode(200);
    long tokenId =
        Long.parseLong(
            browser.request().get("/console/session").jsonPath().getString("actor").substring(6));

    // When the token is revoked
    AdminApi.asOperator().delete("/admin/v1/operator-tokens/" + tokenId).then().statusCode(204);

    // Then the session no longer works, for reads or for its own session endpoint
    browser
        .request()
        .get("/admin/v1/users")
        .then()
        .statusCode(401)
        .contentType(startsWith("application/problem+json"))
        .body("field", equalTo("Cookie"));
    browser.request().get("/console/session").then().statusCode(401);
  }

  @Test
  void signOutNeedsTheCsrfTokenThenEndsTheSession() {
    Browser browser = signIn(AdminApi.ADMIN_TOKEN);

    browser.request().delete("/console/session").then().statusCode(403);
    browser.request().get("/admin/v1/users").then().statusCode(200);

    Response out = browser.change().delete("/console/session");
    out.then().statusCode(204);
    assertThat(out.getHeader("Set-Cookie")).contains("Max-Age=0");
    browser.request().get("/admin/v1/users").then().statusCode(401);
  }

  @Test
  void expiredSessionIsRefused() throws Exception {
    // Given a session whose idle end has passed (set in the table: the row is not cached yet)
    Browser browser = signIn(AdminApi.ADMIN_TOKEN);
    try (Connection c = DriverManager.getConnection(dbUrl, "tollgate", "tollgate");
        PreparedStatement s =
            c.prepareStatement(
                "UPDATE console_session SET expires_at = now() - interval '1 second'"
                    + " WHERE id_hash = encode(sha256(convert_to(?, 'UTF8')), 'hex')")) {
      s.setString(1, browser.cookie());
      assertThat(s.executeUpdate()).isEqualTo(1);
    }

    // When / Then
    browser
        .request()
        .get("/admin/v1/users")
        .then()
        .statusCode(401)
        .body("field", equalTo("Cookie"));
  }

  @Test
  void bearerTokenStillWorksAlongsideAStaleCookie() {
    given()
        .cookie(ConsoleSessionService.COOKIE, "no-such-session")
        .header("Authorization", "Bearer " + AdminApi.ADMIN_TOKEN)
        .get("/admin/v1/users")
        .then()
        .statusCode(200);
    given()
        .cookie(ConsoleSessionService.COOKIE, "no-such-session")
        .get("/admin/v1/users")
        .then()
        .statusCode(401);
  }
}
