package dev.tollgate.dataplane.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.bench.stub.StubUpstream;
import dev.tollgate.dataplane.Eventually;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * gRPC between the planes over TLS, with real processes and certificates made for the run: a data
 * plane that trusts the control plane's CA loads its configuration and has its usage applied; one
 * that does not trust it, or lacks the client certificate the control plane requires, stays not
 * ready and says why in its log; with TLS on, the HTTP port no longer serves gRPC.
 */
class PlaneTlsIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration FLUSH_INTERVAL = Duration.ofSeconds(1);
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  private static Vertx vertx;
  private static int stubPort;
  private static TestCertificates.Authority planes;
  private static TestCertificates.Authority stranger;
  private static TestCertificates.Issued server;
  private static TestCertificates.Issued client;
  private static TestCertificates.Issued strangerClient;

  @BeforeAll
  static void makeCertificatesAndUpstream() throws Exception {
    Path dir = Path.of("target", "e2e", "tls-" + UUID.randomUUID());
    planes = TestCertificates.authority(dir, "planes-ca");
    stranger = TestCertificates.authority(dir, "stranger-ca");
    server = planes.issue("control-plane", "serverAuth");
    client = planes.issue("data-plane", "clientAuth");
    strangerClient = stranger.issue("stranger-data-plane", "clientAuth");
    vertx = Vertx.vertx();
    stubPort = GatewayProcesses.freePort();
    StubUpstream.deploy(vertx, stubPort, 1, "sk-upstream-tls")
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stopUpstream() {
    if (vertx != null) {
      vertx.close();
    }
  }

  @Test
  void aDataPlaneTrustingTheControlPlanesCaIsServedAndOneTrustingAnotherIsNot() throws Exception {
    try (GatewayProcesses gateway = new GatewayProcesses()) {
      // Given a control plane serving gRPC over TLS on its own port
      int grpcPort = GatewayProcesses.freePort();
      gateway.createDatabase();
      gateway.startControlPlane(serverTls(grpcPort, false));
      ClientKey key = provision(gateway);

      // When a data plane that trusts the control plane's CA connects to that port
      int trusting = GatewayProcesses.freePort();
      gateway.startDataPlane(trusting, FLUSH_INTERVAL, clientTls(grpcPort, planes.cert(), null));

      // Then it is served its configuration and its usage is applied
      assertThat(chat(trusting, key.secret())).isEqualTo(200);
      assertThat(chat(trusting, key.secret())).isEqualTo(200);
      awaitRequestsCounted(gateway, key, 2);

      // When a data plane that trusts only another CA connects
      int doubting = GatewayProcesses.freePort();
      gateway.launchDataPlane(doubting, FLUSH_INTERVAL, clientTls(grpcPort, stranger.cert(), null));

      // Then it stays not ready, and its log says the certificate is not trusted
      awaitLog(
          gateway,
          doubting,
          "failed: the control plane's certificate is not signed by a CA in"
              + " TOLLGATE_CONTROL_PLANE_TLS_CA");
      assertThat(status(doubting, "/q/health/ready")).isEqualTo(503);
      assertThat(status(doubting, "/q/health/live")).isEqualTo(200);
    }
  }

  @Test
  void withClientCertificatesRequiredOnlyADataPlaneWithOneSignedByTheClientCaIsServed()
      throws Exception {
    try (GatewayProcesses gateway = new GatewayProcesses()) {
      // Given a control plane that requires client certificates signed by the planes' CA
      int grpcPort = GatewayProcesses.freePort();
      gateway.createDatabase();
      gateway.startControlPlane(serverTls(grpcPort, true));
      ClientKey key = provision(gateway);

      // When a data plane presents such a certificate
      int certified = GatewayProcesses.freePort();
      gateway.startDataPlane(certified, FLUSH_INTERVAL, clientTls(grpcPort, planes.cert(), client));

      // Then it is served and its usage is applied
      assertThat(chat(certified, key.secret())).isEqualTo(200);
      awaitRequestsCounted(gateway, key, 1);

      // When one data plane presents no certificate, another one from a stranger CA, and a third
      // tries plaintext gRPC on the HTTP port
      int anonymous = GatewayProcesses.freePort();
      gateway.launchDataPlane(anonymous, FLUSH_INTERVAL, clientTls(grpcPort, planes.cert(), null));
      int strangerPort = GatewayProcesses.freePort();
      gateway.launchDataPlane(
          strangerPort, FLUSH_INTERVAL, clientTls(grpcPort, planes.cert(), strangerClient));
      int plaintext = GatewayProcesses.freePort();
      gateway.launchDataPlane(plaintext, FLUSH_INTERVAL, Map.of());

      // Then the first two are refused during the handshake and say so; none becomes ready
      awaitLog(gateway, anonymous, "the control plane requires a client certificate");
      awaitLog(gateway, strangerPort, "TLS with the control plane at 127.0.0.1:" + grpcPort);
      Eventually.within(
          Duration.ofSeconds(60),
          () -> assertThat(status(plaintext, "/q/health/live")).isEqualTo(200));
      Thread.sleep(3_000);
      for (int port : new int[] {anonymous, strangerPort, plaintext}) {
        assertThat(status(port, "/q/health/ready")).as("data plane on " + port).isEqualTo(503);
      }
      awaitRequestsCounted(gateway, key, 1);
    }
  }

  private static Map<String, String> serverTls(int grpcPort, boolean requireClientCertificates) {
    var env = new HashMap<String, String>();
    env.put("TOLLGATE_GRPC_TLS_ENABLED", "true");
    env.put("TOLLGATE_GRPC_TLS_PORT", String.valueOf(grpcPort));
    env.put("TOLLGATE_GRPC_TLS_CERT", server.cert().toAbsolutePath().toString());
    env.put("TOLLGATE_GRPC_TLS_KEY", server.key().toAbsolutePath().toString());
    if (requireClientCertificates) {
      env.put("TOLLGATE_GRPC_TLS_CLIENT_CA", planes.cert().toAbsolutePath().toString());
    }
    return env;
  }

  private static Map<String, String> clientTls(
      int grpcPort, Path trusted, TestCertificates.Issued certificate) {
    var env = new HashMap<String, String>();
    env.put("TOLLGATE_CONTROL_PLANE", "127.0.0.1:" + grpcPort);
    env.put("TOLLGATE_CONTROL_PLANE_TLS_ENABLED", "true");
    env.put("TOLLGATE_CONTROL_PLANE_TLS_CA", trusted.toAbsolutePath().toString());
    if (certificate != null) {
      env.put("TOLLGATE_CONTROL_PLANE_TLS_CERT", certificate.cert().toAbsolutePath().toString());
      env.put("TOLLGATE_CONTROL_PLANE_TLS_KEY", certificate.key().toAbsolutePath().toString());
    }
    return env;
  }

  /** A client key: its id in the admin API, its secret for the data planes. */
  record ClientKey(long id, String secret) {}

  /** A group, a provider key on the stub upstream and a client key. */
  private static ClientKey provision(GatewayProcesses gateway) throws Exception {
    long user =
        post(gateway, "/admin/v1/users", JSON.createObjectNode().put("name", "tls"))
            .get("id")
            .asLong();
    ObjectNode group = JSON.createObjectNode().put("name", "tls").put("platform", "openai");
    group.putArray("models").add("gpt-4o-mini");
    long groupId = post(gateway, "/admin/v1/provider-groups", group).get("id").asLong();
    post(
        gateway,
        "/admin/v1/provider-keys",
        JSON.createObjectNode()
            .put("group_id", groupId)
            .put("base_url", "http://127.0.0.1:" + stubPort + "/v1")
            .put("secret", "sk-upstream-tls")
            .put("max_concurrent", 100));
    ObjectNode key = JSON.createObjectNode().put("user_id", user).put("name", "tls");
    key.putArray("group_ids").add(groupId);
    JsonNode created = post(gateway, "/admin/v1/keys", key);
    return new ClientKey(created.get("id").asLong(), created.get("key").asText());
  }

  private static JsonNode post(GatewayProcesses gateway, String path, ObjectNode body)
      throws Exception {
    return JSON.readTree(gateway.admin("POST", path, body.toString(), 201));
  }

  /** Waits until the control plane has applied {@code requests} requests of the key. */
  private static void awaitRequestsCounted(GatewayProcesses gateway, ClientKey key, long requests) {
    Eventually.within(
        Duration.ofSeconds(30),
        () -> {
          try {
            JsonNode read =
                JSON.readTree(gateway.admin("GET", "/admin/v1/keys/" + key.id(), null, 200));
            assertThat(read.get("requests").asLong()).isEqualTo(requests);
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
  }

  private static void awaitLog(GatewayProcesses gateway, int port, String line) {
    Eventually.within(
        Duration.ofSeconds(90),
        () -> {
          try {
            assertThat(gateway.dataPlaneLog(port)).contains(line);
          } catch (java.io.IOException notYet) {
            throw new AssertionError(notYet);
          }
        });
  }

  private static int chat(int port, String secret) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
            .header("Authorization", "Bearer " + secret)
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(30))
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"model\":\"gpt-4o-mini\",\"max_tokens\":1,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
            .build();
    return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static int status(int port, String path) {
    try {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
              .timeout(Duration.ofSeconds(2))
              .build();
      return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception notListening) {
      return -1;
    }
  }
}
