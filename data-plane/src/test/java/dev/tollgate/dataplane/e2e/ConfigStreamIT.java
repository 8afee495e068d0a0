package dev.tollgate.dataplane.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.bench.stub.StubUpstream;
import dev.tollgate.dataplane.Eventually;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The config stream at its size edges, between a real control plane and a real data plane (both
 * from their jars): a snapshot of 200,000 keys, a change carrying the largest fields the admin API
 * accepts, and a data plane that cannot take a message, says so, and heals itself by snapshot once
 * it can.
 */
class ConfigStreamIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_MODELS = 1000;
  private static final int MAX_NAME = 200;
  private static final int MAX_URL = 2048;
  private static final int MAX_SECRET = 16384;

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  @Test
  void aDataPlaneLoadsASnapshotOfTwoHundredThousandKeysAndFollowsARevocation() throws Exception {
    try (GatewayProcesses gateway = new GatewayProcesses()) {
      // Given a control plane holding 200,000 keys (seeded in one revision, as a bulk load would)
      gateway.createDatabase();
      gateway.startControlPlane();
      long user = post(gateway, "/admin/v1/users", JSON.createObjectNode().put("name", "bulk"));
      gateway.execute(
          "WITH r AS (UPDATE config_state SET revision = revision + 1 WHERE id = 1"
              + " RETURNING revision)"
              + " INSERT INTO api_key (user_id, name, prefix, token_hash, config_revision)"
              + " SELECT "
              + user
              + ", 'bulk-' || n, 'tg-bulk', encode(sha256(convert_to('tg-it-' || n, 'UTF8')),"
              + " 'hex'), r.revision FROM generate_series(1, 200000) n, r");

      // When a data plane starts
      int port = GatewayProcesses.freePort();
      gateway.startDataPlane(port, Duration.ofSeconds(1));

      // Then it serves every one of them, and no other
      assertThat(models(port, "tg-it-1")).isEqualTo(200);
      assertThat(models(port, "tg-it-123457")).isEqualTo(200);
      assertThat(models(port, "tg-it-200000")).isEqualTo(200);
      assertThat(models(port, "tg-it-200001")).isEqualTo(401);
      assertThat(metric(port, "tollgate_config_keys")).isEqualTo(200_000);
      assertThat(metric(port, "tollgate_config_stream_stuck")).isZero();
      assertThat(gateway.dataPlaneLog(port)).containsPattern("200000 keys, .* in \\d+ chunks");

      // And a revocation made afterwards reaches it
      long keyId = keyIdOf(gateway, "tg-it-4242");
      gateway.admin("DELETE", "/admin/v1/keys/" + keyId, null, 204);
      Eventually.within(
          Duration.ofSeconds(5), () -> assertThat(models(port, "tg-it-4242")).isEqualTo(401));
      assertThat(models(port, "tg-it-4243")).isEqualTo(200);
    }
  }

  @Test
  void aChangeWithTheLargestFieldsTheAdminApiAcceptsReachesADataPlane() throws Exception {
    String secret = "sk-" + "s".repeat(MAX_SECRET - 3);
    Vertx vertx = Vertx.vertx();
    try (GatewayProcesses gateway = new GatewayProcesses()) {
      // Given a running data plane, and an upstream that accepts only the longest secret
      int stubPort = GatewayProcesses.freePort();
      StubUpstream.deploy(vertx, stubPort, 1, secret)
          .toCompletionStage()
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      gateway.createDatabase();
      gateway.startControlPlane();
      int port = GatewayProcesses.freePort();
      gateway.startDataPlane(port, Duration.ofSeconds(1));

      // When an operator adds a group of 1,000 models of 200 characters (each mapped to another
      // name of 200), a provider key with a 2,048-character base URL and a 16 KiB secret, and a key
      long group = post(gateway, "/admin/v1/provider-groups", largestGroup("big"));
      String prefix = "http://127.0.0.1:" + stubPort + "/";
      String baseUrl = prefix + "p".repeat(MAX_URL - prefix.length() - 3) + "/v1";
      assertThat(baseUrl).hasSize(MAX_URL);
      post(
          gateway,
          "/admin/v1/provider-keys",
          JSON.createObjectNode()
              .put("group_id", group)
              .put("base_url", baseUrl)
              .put("secret", secret)
              .put("max_concurrent", 1000));
      String key = createKey(gateway, group);

      // Then the data plane routes the last of those models through that provider key
      String lastModel = model("big", MAX_MODELS - 1);
      Eventually.within(
          Duration.ofSeconds(10), () -> assertThat(chat(port, key, lastModel)).isEqualTo(200));
      assertThat(metric(port, "tollgate_config_stream_stuck")).isZero();
    } finally {
      vertx.close();
    }
  }

  @Test
  void aDataPlaneThatCannotTakeAConfigMessageSaysSoAndHealsItselfOnceItCan() throws Exception {
    try (GatewayProcesses gateway = new GatewayProcesses()) {
      // Given a data plane that takes config messages of at most 64 KiB, serving a key
      gateway.createDatabase();
      gateway.startControlPlane();
      int port = GatewayProcesses.freePort();
      gateway.startDataPlane(
          port,
          Duration.ofSeconds(1),
          Map.of(
              "TOLLGATE_REPLICA_MAX_INBOUND_MESSAGE_BYTES", "65536",
              "TOLLGATE_REPLICA_RETRY_MAX_BACKOFF", "1s"));
      long keyId = createKeyId(gateway);
      String key = lastSecret;
      Eventually.within(Duration.ofSeconds(10), () -> assertThat(models(port, key)).isEqualTo(200));

      // When the control plane sends it a group of about 600 KB
      long group = post(gateway, "/admin/v1/provider-groups", largestGroup("huge"));

      // Then it says it is stuck, why, and keeps serving (ready) on its last config
      Eventually.within(
          Duration.ofSeconds(10),
          () -> {
            JsonNode replica = readinessCheck(port);
            assertThat(replica.path("data").path("stuck").asBoolean()).isTrue();
            assertThat(replica.path("data").path("stuck_reason").asText())
                .isEqualTo("message_too_large");
          });
      assertThat(readiness(port).statusCode()).isEqualTo(200);
      assertThat(metric(port, "tollgate_config_stream_stuck")).isEqualTo(1);
      // It keeps trying by snapshot, which carries the same group and fails the same way.
      double failures =
          metric(port, "tollgate_config_apply_failures_total{reason=\"message_too_large\"}");
      Eventually.within(
          Duration.ofSeconds(10),
          () ->
              assertThat(
                      metric(
                          port,
                          "tollgate_config_apply_failures_total{reason=\"message_too_large\"}"))
                  .isGreaterThan(failures));

      // When the operator revokes the key meanwhile, and deletes the group it cannot take
      gateway.admin("DELETE", "/admin/v1/keys/" + keyId, null, 204);
      gateway.admin("DELETE", "/admin/v1/provider-groups/" + group, null, 204);

      // Then it loads a snapshot by itself, is no longer stuck, and the revocation holds
      Eventually.within(
          Duration.ofSeconds(15),
          () -> assertThat(metric(port, "tollgate_config_stream_stuck")).isZero());
      JsonNode replica = readinessCheck(port);
      assertThat(replica.path("data").path("stuck").asBoolean()).isFalse();
      assertThat(replica.path("data").path("apply_failures").asLong()).isPositive();
      Eventually.within(Duration.ofSeconds(5), () -> assertThat(models(port, key)).isEqualTo(401));
    }
  }

  // --- helpers ---------------------------------------------------------------------------------

  private String lastSecret;

  private static String model(String group, int i) {
    String head = group + "-model-" + i + "-";
    return head + "m".repeat(MAX_NAME - head.length());
  }

  /** A group with as many models as the admin API accepts, each of the longest name, mapped. */
  private static ObjectNode largestGroup(String name) {
    ObjectNode body = JSON.createObjectNode().put("name", name).put("platform", "openai");
    ArrayNode models = body.putArray("models");
    ObjectNode mapping = body.putObject("model_mapping");
    for (int i = 0; i < MAX_MODELS; i++) {
      String model = model(name, i);
      models.add(model);
      mapping.put(model, "upstream-" + model.substring("upstream-".length()));
    }
    return body;
  }

  private long post(GatewayProcesses gateway, String path, ObjectNode body) throws Exception {
    return JSON.readTree(gateway.admin("POST", path, JSON.writeValueAsString(body), 201))
        .get("id")
        .asLong();
  }

  private String createKey(GatewayProcesses gateway, long group) throws Exception {
    long user = post(gateway, "/admin/v1/users", JSON.createObjectNode().put("name", "u"));
    ObjectNode body = JSON.createObjectNode().put("user_id", user).put("name", "k");
    body.putArray("group_ids").add(group);
    JsonNode key =
        JSON.readTree(gateway.admin("POST", "/admin/v1/keys", JSON.writeValueAsString(body), 201));
    return key.get("key").asText();
  }

  private long createKeyId(GatewayProcesses gateway) throws Exception {
    ObjectNode small = JSON.createObjectNode().put("name", "small").put("platform", "openai");
    small.putArray("models").add("gpt-4o-mini");
    long group = post(gateway, "/admin/v1/provider-groups", small);
    long user = post(gateway, "/admin/v1/users", JSON.createObjectNode().put("name", "u"));
    ObjectNode body = JSON.createObjectNode().put("user_id", user).put("name", "k");
    body.putArray("group_ids").add(group);
    JsonNode key =
        JSON.readTree(gateway.admin("POST", "/admin/v1/keys", JSON.writeValueAsString(body), 201));
    lastSecret = key.get("key").asText();
    return key.get("id").asLong();
  }

  private static long keyIdOf(GatewayProcesses gateway, String secret) throws Exception {
    java.security.MessageDigest sha256 = java.security.MessageDigest.getInstance("SHA-256");
    String hash =
        java.util.HexFormat.of()
            .formatHex(sha256.digest(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    return gateway.queryLong("SELECT id FROM api_key WHERE token_hash = '" + hash + "'");
  }

  private int models(int port, String key) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models"))
            .header("Authorization", "Bearer " + key)
            .timeout(Duration.ofSeconds(5))
            .build();
    return send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private int chat(int port, String key, String model) {
    ObjectNode body = JSON.createObjectNode().put("model", model);
    body.putArray("messages").addObject().put("role", "user").put("content", "hi");
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
            .header("Authorization", "Bearer " + key)
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build();
    return send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** Sends; a failure to connect or read fails the assertion (so Eventually tries again). */
  private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    try {
      return http.send(request, handler);
    } catch (java.io.IOException e) {
      throw new AssertionError(request.uri() + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private HttpResponse<String> readiness(int port) {
    return send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready"))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode readinessCheck(int port) {
    JsonNode health;
    try {
      health = JSON.readTree(readiness(port).body());
    } catch (java.io.IOException e) {
      throw new AssertionError("readiness is not JSON", e);
    }
    for (JsonNode check : health.path("checks")) {
      if (check.path("name").asText().equals("config-replica")) {
        return check;
      }
    }
    throw new AssertionError("no config-replica readiness check");
  }

  /** The value of one Prometheus sample (name with its labels), or -1 when absent. */
  private double metric(int port, String sample) {
    String body =
        send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/metrics"))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    for (String line : body.split("\n")) {
      if (line.startsWith(sample + " ")) {
        return Double.parseDouble(line.substring(sample.length() + 1).trim());
      }
    }
    return -1;
  }
}
