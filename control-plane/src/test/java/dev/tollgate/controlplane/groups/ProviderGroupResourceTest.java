package dev.tollgate.controlplane.groups;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.admin.AdminApi.unique;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ProviderGroupResourceTest {

  @Test
  void createsGroupWithZeroCountersAndReadsItBack() {
    // Given
    String name = unique("openai-main");

    // When
    long id =
        asOperator()
            .body(
                Map.of(
                    "name",
                    name,
                    "platform",
                    "openai",
                    "models",
                    List.of("gpt-4o-mini", "gpt-4o"),
                    "model_mapping",
                    Map.of("gpt-4o", "gpt-4o-2024-08-06"),
                    "rpm_limit",
                    600))
            .post("/admin/v1/provider-groups")
            .then()
            .statusCode(201)
            .body("name", equalTo(name))
            .body("requests", equalTo(0))
            .extract()
            .jsonPath()
            .getLong("id");

    // Then
    asOperator()
        .get("/admin/v1/provider-groups/" + id)
        .then()
        .statusCode(200)
        .body("platform", equalTo("openai"))
        .body("models", contains("gpt-4o-mini", "gpt-4o"))
        .body("model_mapping.'gpt-4o'", equalTo("gpt-4o-2024-08-06"))
        .body("status", equalTo("active"))
        .body("rpm_limit", equalTo(600))
        .body("requests", equalTo(0))
        .body("success_requests", equalTo(0))
        .body("failure_requests", equalTo(0))
        .body("prompt_tokens", equalTo(0))
        .body("completion_tokens", equalTo(0))
        .body("total_tokens", equalTo(0));
  }

  @Test
  void rejectsDuplicateNameWith409() {
    // Given
    String name = unique("dup");
    Map<String, Object> body = Map.of("name", name, "platform", "openai", "models", List.of("m"));
    asOperator().body(body).post("/admin/v1/provider-groups").then().statusCode(201);

    // When / Then
    asOperator()
        .body(body)
        .post("/admin/v1/provider-groups")
        .then()
        .statusCode(409)
        .contentType(startsWith("application/problem+json"))
        .body("field", equalTo("name"));
  }

  @Test
  void createsOnlyOneOfConcurrentTwinsAndAnswersTheOthersWith409() throws Exception {
    // Given
    Map<String, Object> body =
        Map.of("name", unique("twin"), "platform", "openai", "models", List.of("m"));
    var pool = Executors.newFixedThreadPool(4);
    try {
      // When
      List<Future<Integer>> answers = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        answers.add(
            pool.submit(
                () -> asOperator().body(body).post("/admin/v1/provider-groups").statusCode()));
      }
      List<Integer> statuses = new ArrayList<>();
      for (Future<Integer> answer : answers) {
        statuses.add(answer.get(30, TimeUnit.SECONDS));
      }

      // Then
      assertThat(statuses).containsOnly(201, 409).containsOnlyOnce(201);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void rejectsUnknownPlatform() {
    expectBadRequest(
        Map.of("name", unique("g"), "platform", "bedrock", "models", List.of("m")), "platform");
  }

  @Test
  void rejectsMissingPlatform() {
    expectBadRequest(Map.of("name", unique("g"), "models", List.of("m")), "platform");
  }

  @Test
  void rejectsEmptyModels() {
    expectBadRequest(
        Map.of("name", unique("g"), "platform", "openai", "models", List.of()), "models");
  }

  @Test
  void rejectsDuplicateModels() {
    expectBadRequest(
        Map.of("name", unique("g"), "platform", "openai", "models", List.of("m", "m")), "models");
  }

  @Test
  void rejectsBlankModel() {
    expectBadRequest(
        Map.of("name", unique("g"), "platform", "openai", "models", List.of("m", " ")), "models");
  }

  @Test
  void rejectsMappingOfModelTheGroupDoesNotServe() {
    expectBadRequest(
        Map.of(
            "name", unique("g"),
            "platform", "openai",
            "models", List.of("m"),
            "model_mapping", Map.of("other", "x")),
        "model_mapping.other");
  }

  @Test
  void rejectsModelsThatAreNotAnArray() {
    expectBadRequest(
        Map.of("name", unique("g"), "platform", "openai", "models", "gpt-4o"), "models");
  }

  @Test
  void answersUnknownGroupWith404() {
    asOperator()
        .get("/admin/v1/provider-groups/999999999")
        .then()
        .statusCode(404)
        .contentType(startsWith("application/problem+json"));
  }

  @Test
  void requiresOperatorToken() {
    given().get("/admin/v1/provider-groups/1").then().statusCode(401);
    given()
        .header("Authorization", "Bearer wrong")
        .contentType("application/json")
        .body("{}")
        .post("/admin/v1/provider-groups")
        .then()
        .statusCode(401);
  }

  private static void expectBadRequest(Map<String, Object> body, String field) {
    asOperator()
        .body(body)
        .post("/admin/v1/provider-groups")
        .then()
        .statusCode(400)
        .contentType(startsWith("application/problem+json"))
        .body("field", equalTo(field));
  }
}
