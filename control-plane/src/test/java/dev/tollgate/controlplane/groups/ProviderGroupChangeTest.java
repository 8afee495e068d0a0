package dev.tollgate.controlplane.groups;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.admin.AdminApi.createGroup;
import static dev.tollgate.controlplane.admin.AdminApi.createProviderKey;
import static dev.tollgate.controlplane.admin.AdminApi.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ProviderGroupChangeTest {

  @Test
  void patchesModelsMappingPlatformLimitAndFallback() {
    long fallback = createGroup();
    long id = createGroup();

    asOperator()
        .body(
            Map.of(
                "platform",
                "anthropic",
                "models",
                List.of("claude-sonnet"),
                "model_mapping",
                Map.of("claude-sonnet", "claude-sonnet-4"),
                "rpm_limit",
                100,
                "fallback_group_id",
                fallback,
                "status",
                "disabled"))
        .patch("/admin/v1/provider-groups/" + id)
        .then()
        .statusCode(200)
        .body("platform", equalTo("anthropic"))
        .body("models", equalTo(List.of("claude-sonnet")))
        .body("model_mapping.claude-sonnet", equalTo("claude-sonnet-4"))
        .body("rpm_limit", equalTo(100))
        .body("fallback_group_id", equalTo((int) fallback))
        .body("status", equalTo("disabled"));
    asOperator()
        .body("{\"fallback_group_id\":null}")
        .patch("/admin/v1/provider-groups/" + id)
        .then()
        .statusCode(200)
        .body("fallback_group_id", nullValue());
  }

  @Test
  void refusesFallbacksToItselfToNothingAndInACycle() {
    long a = createGroup();
    long b = createGroup();
    long c = createGroup();
    asOperator()
        .body(Map.of("fallback_group_id", b))
        .patch("/admin/v1/provider-groups/" + a)
        .then()
        .statusCode(200);
    asOperator()
        .body(Map.of("fallback_group_id", c))
        .patch("/admin/v1/provider-groups/" + b)
        .then()
        .statusCode(200);

    for (long target : List.of(a, 999999999L)) {
      asOperator()
          .body(Map.of("fallback_group_id", target))
          .patch("/admin/v1/provider-groups/" + (target == a ? c : a))
          .then()
          .statusCode(400)
          .body("field", equalTo("fallback_group_id"));
    }
    asOperator()
        .body(Map.of("fallback_group_id", a))
        .patch("/admin/v1/provider-groups/" + a)
        .then()
        .statusCode(400)
        .body("field", equalTo("fallback_group_id"));
  }

  @Test
  void refusesAMappingOfAModelThePatchRemoves() {
    long id =
        asOperator()
            .body(
                Map.of(
                    "name", unique("mapped"),
                    "platform", "openai",
                    "models", List.of("a", "b"),
                    "model_mapping", Map.of("a", "a-upstream")))
            .post("/admin/v1/provider-groups")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath()
            .getLong("id");

    asOperator()
        .body(Map.of("models", List.of("b")))
        .patch("/admin/v1/provider-groups/" + id)
        .then()
        .statusCode(400)
        .body("field", equalTo("model_mapping.a"));
  }

  @Test
  void deletesAGroupOnlyWhenNothingLiveUsesIt() {
    long id = createGroup();
    long providerKey = createProviderKey(id, "sk-delete-me-0001");
    long pointing = createGroup();
    asOperator()
        .body(Map.of("fallback_group_id", id))
        .patch("/admin/v1/provider-groups/" + pointing);

    asOperator().delete("/admin/v1/provider-groups/" + id).then().statusCode(409);
    asOperator().delete("/admin/v1/provider-keys/" + providerKey).then().statusCode(204);
    asOperator().delete("/admin/v1/provider-groups/" + id).then().statusCode(409);
    asOperator()
        .body("{\"fallback_group_id\":null}")
        .patch("/admin/v1/provider-groups/" + pointing);
    asOperator().delete("/admin/v1/provider-groups/" + id).then().statusCode(204);

    asOperator().get("/admin/v1/provider-groups/" + id).then().body("status", equalTo("deleted"));
    asOperator()
        .body("{\"rpm_limit\":1}")
        .patch("/admin/v1/provider-groups/" + id)
        .then()
        .statusCode(409);
  }

  @Test
  void listsGroupsBySearchWithDeletedOnesLeftOut() {
    String tag = unique("pool");
    long kept = createNamed(tag + "-1");
    long gone = createNamed(tag + "-2");
    asOperator().delete("/admin/v1/provider-groups/" + gone).then().statusCode(204);

    JsonPath page =
        asOperator()
            .get("/admin/v1/provider-groups?search=" + tag)
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    JsonPath all =
        asOperator()
            .get(
                "/admin/v1/provider-groups?search="
                    + tag
                    + "&exclude_statuses=disabled&sort=requests&order=asc")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();

    assertThat(page.getList("items.id", Long.class)).containsExactly(kept);
    assertThat(all.getList("items.id", Long.class)).containsExactly(kept, gone);
    asOperator()
        .get("/admin/v1/provider-groups?sort=last_used")
        .then()
        .statusCode(400)
        .body("field", equalTo("sort"));
  }

  private static long createNamed(String name) {
    return asOperator()
        .body(Map.of("name", name, "platform", "openai", "models", List.of("m")))
        .post("/admin/v1/provider-groups")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath()
        .getLong("id");
  }
}
