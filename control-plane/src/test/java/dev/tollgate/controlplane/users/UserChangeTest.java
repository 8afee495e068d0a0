package dev.tollgate.controlplane.users;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.admin.AdminApi.createKey;
import static dev.tollgate.controlplane.admin.AdminApi.createUser;
import static dev.tollgate.controlplane.admin.AdminApi.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class UserChangeTest {

  @Test
  void patchesNameStatusAndLimits() {
    long id = createUser();

    asOperator()
        .body(
            Map.of(
                "name", "renamed", "status", "disabled", "rpm_limit", 10, "concurrency_limit", 2))
        .patch("/admin/v1/users/" + id)
        .then()
        .statusCode(200)
        .body("name", equalTo("renamed"))
        .body("status", equalTo("disabled"))
        .body("rpm_limit", equalTo(10))
        .body("concurrency_limit", equalTo(2));
  }

  @Test
  void refusesBadPatchFieldsNamingThem() {
    long id = createUser();
    for (var body :
        Map.of(
                "{\"status\":\"deleted\"}", "status",
                "{\"rpm_limit\":-1}", "rpm_limit",
                "{\"name\":\" \"}", "name",
                "{\"nickname\":\"x\"}", "nickname")
            .entrySet()) {
      asOperator()
          .body(body.getKey())
          .patch("/admin/v1/users/" + id)
          .then()
          .statusCode(400)
          .body("field", equalTo(body.getValue()));
    }
    asOperator().body("{}").patch("/admin/v1/users/999999999").then().statusCode(404);
  }

  @Test
  void deletingAUserRevokesItsKeysAndHidesItFromDefaultLists() {
    // Given
    long id = createUser();
    long keyA = createKey(id, List.of()).getLong("id");
    long keyB = createKey(id, List.of()).getLong("id");

    // When
    asOperator().delete("/admin/v1/users/" + id).then().statusCode(204);

    // Then
    asOperator().get("/admin/v1/users/" + id).then().body("status", equalTo("deleted"));
    asOperator().get("/admin/v1/keys/" + keyA).then().body("status", equalTo("revoked"));
    asOperator().get("/admin/v1/keys/" + keyB).then().body("status", equalTo("revoked"));
    asOperator().delete("/admin/v1/users/" + id).then().statusCode(204);
    asOperator().body("{\"name\":\"back\"}").patch("/admin/v1/users/" + id).then().statusCode(409);
    asOperator()
        .body(Map.of("user_id", id, "name", "k", "group_ids", List.of()))
        .post("/admin/v1/keys")
        .then()
        .statusCode(400)
        .body("field", equalTo("user_id"));
    asOperator().delete("/admin/v1/users/999999999").then().statusCode(404);
  }

  @Test
  void listsUsersBySearchAndStatusLeavingDeletedOnesOutByDefault() {
    // Given
    String tag = unique("acme");
    long kept = createNamed(tag + "-kept");
    long deleted = createNamed(tag + "-gone");
    asOperator().delete("/admin/v1/users/" + deleted);

    // When
    JsonPath byDefault = list("search=" + tag);
    JsonPath deletedOnly = list("search=" + tag + "&status=deleted");
    JsonPath cursor = list("search=" + tag + "&status=active,deleted&limit=1&order=asc");

    // Then
    assertThat(byDefault.getList("items.id", Long.class)).containsExactly(kept);
    assertThat(byDefault.getLong("total")).isEqualTo(1);
    assertThat(deletedOnly.getList("items.id", Long.class)).containsExactly(deleted);
    assertThat(cursor.getList("items.id", Long.class)).containsExactly(kept);
    assertThat(
            list("search="
                    + tag
                    + "&status=active,deleted&limit=1&order=asc&cursor="
                    + cursor.getString("next_cursor"))
                .getList("items.id", Long.class))
        .containsExactly(deleted);
  }

  @Test
  void refusesListParametersUsersDoNotHave() {
    for (String query :
        List.of(
            "sort=requests", "user_id=1", "group_id=1", "last_used_from=2030-01-01T00:00:00Z")) {
      asOperator().get("/admin/v1/users?" + query).then().statusCode(400);
    }
  }

  private static JsonPath list(String query) {
    return asOperator().get("/admin/v1/users?" + query).then().statusCode(200).extract().jsonPath();
  }

  private static long createNamed(String name) {
    return asOperator()
        .body(Map.of("name", name))
        .post("/admin/v1/users")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath()
        .getLong("id");
  }
}
