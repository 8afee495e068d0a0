package dev.tollgate.controlplane.stats;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.controlplane.admin.AdminApi;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class StatsOpenApiTest {

  static final List<String> PATHS =
      List.of(
          "/admin/v1/usage/summary",
          "/admin/v1/usage/windows",
          "/admin/v1/usage/timeseries",
          "/admin/v1/keys/stats",
          "/admin/v1/keys/{id}/usage",
          "/admin/v1/provider-groups/{id}/stats",
          "/admin/v1/provider-keys/{id}/stats",
          "/admin/v1/attention");

  @Test
  void describesEverySummaryEndpointParameterAndField() {
    JsonPath document =
        given().get("/q/openapi?format=json").then().statusCode(200).extract().jsonPath();

    for (String path : PATHS) {
      String get = "paths.'" + path + "'.get";
      assertThat(document.getString(get + ".summary")).as(path).isNotBlank();
      assertThat(document.getString(get + ".description")).as(path).isNotBlank();
      List<Map<String, Object>> parameters = document.getList(get + ".parameters");
      for (Map<String, Object> parameter :
          parameters == null ? List.<Map<String, Object>>of() : parameters) {
        assertThat((String) parameter.get("description"))
            .as(path + " " + parameter.get("name"))
            .isNotBlank();
      }
    }
    for (String schema :
        List.of(
            "UsageSummary",
            "GroupUsage",
            "UsageWindows",
            "UsageWindow",
            "UsageSeries",
            "UsagePoint",
            "RequestCounts",
            "TokenCounts",
            "KeyStats",
            "Quota",
            "KeyUsage",
            "ModelUsage",
            "UpstreamStats",
            "Upstream429s",
            "AttentionList",
            "AttentionItem")) {
      Map<String, Map<String, Object>> properties =
          document.getMap("components.schemas." + schema + ".properties");
      assertThat(properties).as(schema).isNotEmpty();
      properties.forEach(
          (name, property) ->
              assertThat(property).as(schema + "." + name).containsKey("description"));
    }
  }

  @Test
  void aViewerTokenReadsEverySummary() {
    String viewer = AdminApi.createOperatorToken("viewer");
    for (String path :
        List.of(
            "/admin/v1/usage/summary",
            "/admin/v1/usage/windows",
            "/admin/v1/usage/timeseries",
            "/admin/v1/keys/stats",
            "/admin/v1/attention")) {
      AdminApi.withToken(viewer).get(path).then().statusCode(200);
    }
  }
}
