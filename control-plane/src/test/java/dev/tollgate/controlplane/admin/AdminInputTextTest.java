package dev.tollgate.controlplane.admin;

import static dev.tollgate.controlplane.admin.AdminApi.ADMIN_TOKEN;
import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.admin.AdminApi.createGroup;
import static dev.tollgate.controlplane.admin.AdminApi.createKey;
import static dev.tollgate.controlplane.admin.AdminApi.createUser;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Text the admin API cannot store as sent (a NUL, a lone surrogate, %-escapes that are not UTF-8)
 * is a 400 naming where it was, wherever it arrives; a body not declared as UTF-8 JSON is a 415.
 * Nothing is stored or audited either way.
 */
@QuarkusTest
class AdminInputTextTest {

  @Inject DataSource dataSource;

  private AuditedRows rows() {
    return new AuditedRows(dataSource);
  }

  @TestHTTPResource("/")
  URL base;

  /** A JSON body (as raw JSON text, escapes included) and the field its answer must name. */
  record BodyCase(String method, String path, String json, String field, String table) {}

  @Test
  void refusesANulOrALoneSurrogateInAnyBodyStringNamingTheField() throws Exception {
    // Given
    long userId = createUser();
    long groupId = createGroup();
    long keyId = createKey(userId, List.of(groupId)).getLong("id");
    var cases =
        List.of(
            new BodyCase("POST", "/admin/v1/users", "{\"name\":\"a\\u0000b\"}", "name", "app_user"),
            new BodyCase("POST", "/admin/v1/users", "{\"name\":\"a\\ud800b\"}", "name", "app_user"),
            new BodyCase("POST", "/admin/v1/users", "{\"name\":\"a\\udc00\"}", "name", "app_user"),
            new BodyCase(
                "POST",
                "/admin/v1/provider-groups",
                "{\"name\":\"g\",\"platform\":\"openai\",\"models\":[\"m\",\"x\\u0000\"]}",
                "models[1]",
                "provider_group"),
            new BodyCase(
                "POST",
                "/admin/v1/provider-groups",
                "{\"name\":\"g\",\"platform\":\"openai\",\"models\":[\"m\"],"
                    + "\"model_mapping\":{\"m\\ud800\":\"u\"}}",
                "model_mapping",
                "provider_group"),
            new BodyCase(
                "POST",
                "/admin/v1/provider-groups",
                "{\"name\":\"g\",\"platform\":\"openai\",\"models\":[\"m\"],"
                    + "\"model_mapping\":{\"m\":\"u\\u0000\"}}",
                "model_mapping.m",
                "provider_group"),
            new BodyCase(
                "POST",
                "/admin/v1/provider-keys",
                "{\"group_id\":"
                    + groupId
                    + ",\"base_url\":\"https://a.example/v1\\u0000\","
                    + "\"secret\":\"sk-x\"}",
                "base_url",
                "provider_key"),
            new BodyCase(
                "POST",
                "/admin/v1/provider-keys",
                "{\"group_id\":"
                    + groupId
                    + ",\"base_url\":\"https://a.example/v1\","
                    + "\"secret\":\"sk-\\udbff\"}",
                "secret",
                "provider_key"),
            new BodyCase(
                "PATCH",
                "/admin/v1/keys/" + keyId,
                "{\"allowed_models\":[\"\\ud83d\"]}",
                "allowed_models[0]",
                "api_key"),
            new BodyCase(
                "POST",
                "/admin/v1/operator-tokens",
                "{\"name\":\"\\u0000\",\"role\":\"viewer\"}",
                "name",
                "operator_token"));
    String keyBefore = asOperator().get("/admin/v1/keys/" + keyId).asString();

    for (BodyCase bad : cases) {
      long rowsBefore = rows().count(bad.table());
      long audited = rows().lastAuditId();

      // When
      Response answer = asOperator().body(bad.json()).request(bad.method(), bad.path());

      // Then
      assertThat(answer.statusCode()).as(bad.json() + " → " + answer.asString()).isEqualTo(400);
      assertThat(answer.contentType()).startsWith("application/problem+json");
      assertThat(answer.jsonPath().getString("field")).as(bad.json()).isEqualTo(bad.field());
      assertThat(answer.jsonPath().getString("detail")).matches(".*(NUL|surrogate).*");
      assertThat(rows().count(bad.table())).isEqualTo(rowsBefore);
      assertThat(rows().lastAuditId()).isEqualTo(audited);
    }
    assertThat(asOperator().get("/admin/v1/keys/" + keyId).asString()).isEqualTo(keyBefore);
  }

  @Test
  void keepsACompleteSurrogatePairAsSent() {
    // Given a name with a character outside the Basic Multilingual Plane (two UTF-16 units)
    String name = "smile \uD83D\uDE00";

    // When
    long id =
        asOperator()
            .body(Map.of("name", name))
            .post("/admin/v1/users")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath()
            .getLong("id");

    // Then
    assertThat(asOperator().get("/admin/v1/users/" + id).jsonPath().getString("name"))
        .isEqualTo(name);
  }

  @Test
  void refusesQueryParametersThatAreNotCleanUtf8NamingThem() throws Exception {
    for (var bad :
        Map.of(
                "search=ab%00cd", "search",
                "search=ab%ED%A0%80cd", "search",
                "search=ab%FFcd", "search",
                "sea%00rch=abc", "query")
            .entrySet()) {
      // When
      RawAnswer answer = raw("GET /admin/v1/keys?" + bad.getKey(), authorized(), null);

      // Then
      assertThat(answer.status()).as(bad.getKey()).isEqualTo(400);
      assertThat(answer.json().getString("field")).as(bad.getKey()).isEqualTo(bad.getValue());
    }
    assertThat(
            raw("GET /admin/v1/audit-log?actor=a%00b", authorized(), null)
                .json()
                .getString("field"))
        .isEqualTo("actor");
  }

  @Test
  void refusesPathSegmentsThatAreNotCleanUtf8NamingTheParameter() throws Exception {
    long userId = createUser();
    for (var bad :
        Map.of(
                "GET /admin/v1/users/1%00",
                "id",
                "GET /admin/v1/users/%ED%A0%80",
                "id",
                "PUT /admin/v1/users/" + userId + "/group-limits/7%00",
                "group_id",
                "DELETE /admin/v1/provider-keys/%C0%AF",
                "id")
            .entrySet()) {
      // When
      RawAnswer answer =
          raw(bad.getKey(), authorized(), bad.getKey().startsWith("PUT") ? "{}" : null);

      // Then
      assertThat(answer.status()).as(bad.getKey() + " → " + answer.body()).isEqualTo(400);
      assertThat(answer.json().getString("field")).as(bad.getKey()).isEqualTo(bad.getValue());
    }
  }

  @Test
  void refusesABodyThatIsNotDeclaredAsUtf8JsonWith415() throws Exception {
    for (String contentType :
        new String[] {
          null,
          "text/plain",
          "application/x-www-form-urlencoded",
          "application/json; charset=latin1"
        }) {
      long users = rows().count("app_user");

      // When
      RawAnswer answer =
          raw(
              "POST /admin/v1/users",
              authorized() + (contentType == null ? "" : "Content-Type: " + contentType + "\r\n"),
              "{\"name\":\"typed\"}");

      // Then
      assertThat(answer.status()).as(contentType + " → " + answer.body()).isEqualTo(415);
      assertThat(answer.contentType()).startsWith("application/problem+json");
      assertThat(answer.json().getString("field")).isEqualTo("Content-Type");
      assertThat(answer.json().getString("detail")).contains("application/json");
      assertThat(rows().count("app_user")).isEqualTo(users);
    }
  }

  @Test
  void refusesAChunkedBodyWithoutContentTypeButNotABodilessPost() throws Exception {
    // Given
    long userId = createUser();
    long keyId = createKey(userId, List.of()).getLong("id");

    // When
    RawAnswer chunked =
        rawBytes(
            ("POST /admin/v1/users HTTP/1.1\r\nHost: localhost\r\n"
                    + authorized()
                    + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    + "10\r\n{\"name\":\"chunk\"}\r\n0\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    RawAnswer rotate = raw("POST /admin/v1/keys/" + keyId + "/rotate", authorized(), null);

    // Then
    assertThat(chunked.status()).isEqualTo(415);
    assertThat(rotate.status()).as(rotate.body()).isEqualTo(200);
  }

  @Test
  void refusesAnAuthorizationHeaderThatIsNotPrintableAscii() throws Exception {
    // When a byte above 0x7F follows the token (the HTTP decoder reads header bytes as ISO-8859-1)
    byte[] request =
        ("GET /admin/v1/users HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                + ADMIN_TOKEN
                + "\u00e9\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);
    RawAnswer answer = rawBytes(request);

    // Then
    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.json().getString("field")).isEqualTo("Authorization");
  }

  record RawAnswer(int status, String head, String body) {
    JsonPath json() {
      return JsonPath.from(body);
    }

    String contentType() {
      for (String line : head.split("\r\n")) {
        if (line.toLowerCase().startsWith("content-type:")) {
          return line.substring("content-type:".length()).trim();
        }
      }
      return "";
    }
  }

  private static String authorized() {
    return "Authorization: Bearer " + ADMIN_TOKEN + "\r\n";
  }

  /** Sends {@code "METHOD /path"} byte for byte as written (no client re-encodes the target). */
  private RawAnswer raw(String requestLine, String headers, String body) throws IOException {
    byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    String head =
        requestLine
            + " HTTP/1.1\r\nHost: localhost\r\n"
            + headers
            + (body == null ? "" : "Content-Length: " + bytes.length + "\r\n")
            + "Connection: close\r\n\r\n";
    var out = new ByteArrayOutputStream();
    out.write(head.getBytes(StandardCharsets.ISO_8859_1));
    out.write(bytes);
    return rawBytes(out.toByteArray());
  }

  private RawAnswer rawBytes(byte[] request) throws IOException {
    try (Socket socket = new Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      InputStream in = socket.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int split = answer.indexOf("\r\n\r\n");
      String head = answer.substring(0, split);
      int status = Integer.parseInt(head.substring(9, 12));
      return new RawAnswer(status, head, answer.substring(split + 4));
    }
  }
}
