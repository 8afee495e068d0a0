package dev.tollgate.controlplane.groups;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.admin.AdminApi.createGroup;
import static dev.tollgate.controlplane.admin.AdminApi.createProviderKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ProviderKeyChangeTest {

  @Inject DataSource dataSource;

  @Test
  void patchesFieldsAndReplacesTheSecretWithoutEverShowingIt() throws Exception {
    long id = createProviderKey(createGroup(), "sk-original-secret-1111");

    String answer =
        asOperator()
            .body(
                Map.of(
                    "base_url", "https://example.com/v1/",
                    "secret", "sk-replaced-secret-2222",
                    "priority", 2,
                    "weight", 7,
                    "status", "disabled"))
            .patch("/admin/v1/provider-keys/" + id)
            .then()
            .statusCode(200)
            .body("base_url", equalTo("https://example.com/v1"))
            .body("secret_hint", equalTo("…2222"))
            .body("priority", equalTo(2))
            .body("weight", equalTo(7))
            .body("status", equalTo("disabled"))
            .extract()
            .asString();

    assertThat(answer).doesNotContain("sk-replaced-secret-2222");
    asOperator()
        .body(Map.of("weight", 0))
        .patch("/admin/v1/provider-keys/" + id)
        .then()
        .statusCode(400)
        .body("field", equalTo("weight"));
  }

  @Test
  void switchesBetweenFixedAndAdaptiveConcurrency() {
    long id = createProviderKey(createGroup(), "sk-concurrency-0001");
    String path = "/admin/v1/provider-keys/" + id + "/concurrency";

    asOperator()
        .body(Map.of("mode", "fixed", "limit", 12))
        .put(path)
        .then()
        .statusCode(200)
        .body("max_concurrent", equalTo(12));
    asOperator()
        .body(Map.of("mode", "adaptive"))
        .put(path)
        .then()
        .statusCode(200)
        .body("max_concurrent", nullValue());

    for (var bad :
        Map.of(
                "{\"mode\":\"fixed\"}", "limit",
                "{\"mode\":\"fixed\",\"limit\":1001}", "limit",
                "{\"mode\":\"fixed\",\"limit\":0}", "limit",
                "{\"mode\":\"adaptive\",\"limit\":5}", "limit",
                "{\"mode\":\"auto\"}", "mode",
                "{}", "mode")
            .entrySet()) {
      asOperator()
          .body(bad.getKey())
          .put(path)
          .then()
          .statusCode(400)
          .body("field", equalTo(bad.getValue()));
    }
  }

  @Test
  void resetsLearningKeepingTheMode() throws Exception {
    long id = createProviderKey(createGroup(), "sk-learning-0001");
    execute("UPDATE provider_key SET learned_max_concurrent = 17 WHERE id = ?", id);

    asOperator()
        .post("/admin/v1/provider-keys/" + id + "/concurrency/reset")
        .then()
        .statusCode(200)
        .body("learned_max_concurrent", nullValue())
        .body("learning_reset_at", notNullValue())
        .body("max_concurrent", nullValue());
    asOperator().post("/admin/v1/provider-keys/999999999/concurrency/reset").then().statusCode(404);
  }

  @Test
  void deletesAProviderKeyAndListsAGroupsKeysWithoutIt() {
    long group = createGroup();
    long kept = createProviderKey(group, "sk-kept-key-0001");
    long gone = createProviderKey(group, "sk-gone-key-0002");

    asOperator().delete("/admin/v1/provider-keys/" + gone).then().statusCode(204);
    asOperator().delete("/admin/v1/provider-keys/" + gone).then().statusCode(204);
    asOperator()
        .body(Map.of("priority", 1))
        .patch("/admin/v1/provider-keys/" + gone)
        .then()
        .statusCode(409);

    JsonPath page =
        asOperator()
            .get("/admin/v1/provider-keys?group_id=" + group)
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    JsonPath deleted =
        asOperator()
            .get(
                "/admin/v1/provider-keys?group_id="
                    + group
                    + "&status=deleted&sort=last_used&limit=5")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(page.getList("items.id", Long.class)).containsExactly(kept);
    assertThat(page.getLong("total")).isEqualTo(1);
    assertThat(deleted.getList("items.id", Long.class)).containsExactly(gone);
    assertThat(deleted.getString("next_cursor")).isNull();
  }

  private void execute(String sql, long id) throws Exception {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setLong(1, id);
      statement.executeUpdate();
    }
  }
}
