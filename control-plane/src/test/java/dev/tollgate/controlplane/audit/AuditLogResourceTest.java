package dev.tollgate.controlplane.audit;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.admin.AdminApi.createKey;
import static dev.tollgate.controlplane.admin.AdminApi.createUser;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class AuditLogResourceTest {

  @Test
  void recordsEveryChangeOfAKeyWithBeforeAndAfterButNoSecret() {
    // Given
    JsonPath created = createKey(createUser(), List.of());
    long id = created.getLong("id");
    asOperator().body(Map.of("status", "disabled")).patch("/admin/v1/keys/" + id);
    String rotated =
        asOperator()
            .post("/admin/v1/keys/" + id + "/rotate")
            .then()
            .extract()
            .jsonPath()
            .getString("key");
    asOperator().delete("/admin/v1/keys/" + id);

    // When
    String raw =
        asOperator()
            .get("/admin/v1/audit-log?entity_type=api_key&entity_id=" + id)
            .then()
            .statusCode(200)
            .extract()
            .asString();
    JsonPath log = JsonPath.from(raw);

    // Then, newest first
    assertThat(log.getList("items.action")).containsExactly("revoke", "rotate", "update", "create");
    assertThat(log.getString("items[2].before.status")).isEqualTo("active");
    assertThat(log.getString("items[2].after.status")).isEqualTo("disabled");
    assertThat(log.getString("items[3].before")).isNull();
    assertThat(log.getList("items.actor")).containsOnly("bootstrap");
    assertThat(raw)
        .doesNotContain(created.getString("key"))
        .doesNotContain(rotated)
        .doesNotContain("token_hash");
  }

  @Test
  void pagesByCursorAndFiltersByActorAndTime() {
    long user = createUser();
    for (int i = 0; i < 3; i++) {
      asOperator().body(Map.of("rpm_limit", i + 1)).patch("/admin/v1/users/" + user);
    }
    String base = "/admin/v1/audit-log?entity_type=user&entity_id=" + user + "&actor=bootstrap";

    JsonPath first =
        asOperator().get(base + "&limit=2").then().statusCode(200).extract().jsonPath();
    JsonPath second =
        asOperator()
            .get(base + "&limit=2&cursor=" + first.getString("next_cursor"))
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    JsonPath future =
        asOperator()
            .get(base + "&from=" + Instant.now().plusSeconds(3600))
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();

    assertThat(first.getList("items.action")).containsExactly("update", "update");
    assertThat(second.getList("items.action")).containsExactly("update", "create");
    assertThat(second.getString("next_cursor")).isNull();
    assertThat(future.getList("items")).isEmpty();
  }

  @Test
  void refusesBadParametersNamingThem() {
    for (var bad :
        Map.of(
                "limit=0", "limit",
                "cursor=@@", "cursor",
                "entity_id=5", "entity_id",
                "from=today", "from",
                "from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z", "to")
            .entrySet()) {
      asOperator()
          .get("/admin/v1/audit-log?" + bad.getKey())
          .then()
          .statusCode(400)
          .body("field", equalTo(bad.getValue()));
    }
  }
}
