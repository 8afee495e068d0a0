package dev.tollgate.controlplane.admin;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
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

  /**
   * Every string a request body can carry is bounded in the document (so in the code: the schema
   * and the checks share Fields' constants), and so is every list and map. A new field without a
   * bound fails here. Strings bounded otherwise pass too: an enum (the value must be one of them)
   * and a date-time (parsed as an instant).
   */
  @Test
  void boundsEveryStringListAndMapOfEveryRequestBody() {
    // Given
    Map<String, Object> document =
        given().get("/q/openapi?format=json").then().statusCode(200).extract().jsonPath().get();
    Map<String, Object> schemas = map(map(document.get("components")).get("schemas"));
    var requestSchemas = new TreeSet<String>();
    for (Object pathItem : map(document.get("paths")).values()) {
      for (Object operation : map(pathItem).values()) {
        if (operation instanceof Map<?, ?> op && op.get("requestBody") != null) {
          for (Object media : map(map(map(op.get("requestBody")).get("content"))).values()) {
            String ref = (String) map(map(media).get("schema")).get("$ref");
            requestSchemas.add(ref.substring(ref.lastIndexOf('/') + 1));
          }
        }
      }
    }

    // When
    var unbounded = new ArrayList<String>();
    for (String name : requestSchemas) {
      Map<String, Object> properties = map(map(schemas.get(name)).get("properties"));
      properties.forEach(
          (property, schema) ->
              unbounded.addAll(unbounded(name + "." + property, map(schema), schemas)));
    }

    // Then
    assertThat(requestSchemas)
        .contains(
            "CreateUserRequest",
            "CreateApiKeyRequest",
            "UpdateApiKeyRequest",
            "CreateProviderGroupRequest",
            "CreateProviderKeyRequest",
            "CreateOperatorTokenRequest");
    assertThat(unbounded).isEmpty();
  }

  /** The paths under {@code where} whose string, list or map has no bound. */
  private static List<String> unbounded(
      String where, Map<String, Object> schema, Map<String, Object> schemas) {
    if (schema.get("$ref") instanceof String ref) {
      var resolved =
          new java.util.HashMap<>(map(schemas.get(ref.substring(ref.lastIndexOf('/') + 1))));
      resolved.putAll(schema);
      resolved.remove("$ref");
      schema = resolved;
    }
    if (schema.get("anyOf") instanceof List<?> choices) {
      var found = new ArrayList<String>();
      for (Object choice : choices) {
        found.addAll(unbounded(where, map(choice), schemas));
      }
      return found;
    }
    Object type = schema.get("type");
    boolean string = "string".equals(type) || (type instanceof List<?> t && t.contains("string"));
    boolean array = "array".equals(type);
    boolean object = "object".equals(type) && schema.get("additionalProperties") != null;
    var found = new ArrayList<String>();
    if (string
        && schema.get("maxLength") == null
        && schema.get("enum") == null
        && !"date-time".equals(schema.get("format"))) {
      found.add(where + " (string without maxLength)");
    }
    if (array) {
      if (schema.get("maxItems") == null) {
        found.add(where + " (array without maxItems)");
      }
      found.addAll(unbounded(where + "[]", map(schema.get("items")), schemas));
    }
    if (object) {
      if (schema.get("maxProperties") == null) {
        found.add(where + " (map without maxProperties)");
      }
      found.addAll(unbounded(where + "{}", map(schema.get("additionalProperties")), schemas));
    }
    return found;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }
}
