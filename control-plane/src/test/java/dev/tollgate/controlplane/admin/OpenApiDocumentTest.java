package dev.tollgate.controlplane.admin;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class OpenApiDocumentTest {

  @Test
  void describesEveryAdminEndpointWithItsListParameters() {
    JsonPath document =
        given().get("/q/openapi?format=json").then().statusCode(200).extract().jsonPath();

    Map<String, Object> paths = document.getMap("paths");
    assertThat(paths)
        .containsKeys(
            "/admin/v1/keys",
            "/admin/v1/keys/{id}/rotate",
            "/admin/v1/keys/{id}/reset-quota",
            "/admin/v1/users/{id}/group-limits/{group_id}",
            "/admin/v1/provider-keys/{id}/concurrency",
            "/admin/v1/provider-keys/{id}/concurrency/reset",
            "/admin/v1/operator-tokens",
            "/admin/v1/audit-log");
    assertThat(document.getList("paths.'/admin/v1/keys'.get.parameters.name"))
        .contains(
            "page",
            "page_size",
            "cursor",
            "limit",
            "sort",
            "order",
            "status",
            "exclude_statuses",
            "user_id",
            "group_id",
            "search",
            "created_from",
            "last_used_to");
    assertThat(document.getString("paths.'/admin/v1/keys'.get.parameters[0].description"))
        .isNotBlank();
  }
}
