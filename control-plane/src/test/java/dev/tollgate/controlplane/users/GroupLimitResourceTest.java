package dev.tollgate.controlplane.users;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.admin.AdminApi.createGroup;
import static dev.tollgate.controlplane.admin.AdminApi.createUser;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

@QuarkusTest
class GroupLimitResourceTest {

  @Test
  void setsExemptsClearsAndListsOverrides() {
    // Given
    long user = createUser();
    long groupA = createGroup();
    long groupB = createGroup();
    String a = "/admin/v1/users/" + user + "/group-limits/" + groupA;
    String b = "/admin/v1/users/" + user + "/group-limits/" + groupB;

    // When
    asOperator()
        .body("{\"rpm_override\":30}")
        .put(a)
        .then()
        .statusCode(200)
        .body("rpm_override", equalTo(30));
    asOperator()
        .body("{\"rpm_override\":0}")
        .put(b)
        .then()
        .statusCode(200)
        .body("rpm_override", equalTo(0));
    asOperator().delete(a).then().statusCode(204);

    // Then
    JsonPath forUser =
        asOperator()
            .get("/admin/v1/users/" + user + "/group-limits")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(forUser.getList("items.group_id", Long.class)).containsExactly(groupA, groupB);
    assertThat(forUser.getList("items.rpm_override")).containsExactly(null, 0);
    asOperator()
        .get("/admin/v1/provider-groups/" + groupB + "/user-limits")
        .then()
        .statusCode(200)
        .body("items[0].user_id", equalTo((int) user));
    asOperator()
        .body("{\"rpm_override\":null}")
        .put(b)
        .then()
        .statusCode(200)
        .body("rpm_override", nullValue());
  }

  @Test
  void refusesBadOverridesAndUnknownIds() {
    long user = createUser();
    long group = createGroup();
    String path = "/admin/v1/users/" + user + "/group-limits/" + group;

    asOperator().body("{}").put(path).then().statusCode(400).body("field", equalTo("rpm_override"));
    asOperator()
        .body("{\"rpm_override\":-1}")
        .put(path)
        .then()
        .statusCode(400)
        .body("field", equalTo("rpm_override"));
    asOperator()
        .body("{\"rpm_override\":\"5\"}")
        .put(path)
        .then()
        .statusCode(400)
        .body("field", equalTo("rpm_override"));
    asOperator()
        .body("{\"rpm_override\":5}")
        .put("/admin/v1/users/999999999/group-limits/" + group)
        .then()
        .statusCode(404);
    asOperator()
        .body("{\"rpm_override\":5}")
        .put("/admin/v1/users/" + user + "/group-limits/999999999")
        .then()
        .statusCode(404);
    asOperator().delete(path).then().statusCode(404);
  }
}
