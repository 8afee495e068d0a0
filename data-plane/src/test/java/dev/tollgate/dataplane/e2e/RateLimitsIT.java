package dev.tollgate.dataplane.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.bench.stub.StubUpstream;
import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.TestRedis;
import io.vertx.core.Vertx;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Limits shared by two data-plane processes (packaged jars) through one Redis, a private
 * redis-server of this test so that it can be stopped: the combined admissions equal the limit
 * exactly; the leases of a data plane killed with SIGKILL expire; requests keep being served while
 * Redis is down.
 */
class RateLimitsIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration LEASE_TTL = Duration.ofSeconds(3);
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  private static GatewayProcesses gateway;
  private static TestRedis.Private redis;
  private static Vertx vertx;
  private static final int[] dpPorts = {GatewayProcesses.freePort(), GatewayProcesses.freePort()};
  private static final Process[] dataPlanes = new Process[2];
  private static long user;
  private static long group;

  @BeforeAll
  static void startGateway() throws Exception {
    vertx = Vertx.vertx();
    int stubPort = GatewayProcesses.freePort();
    StubUpstream.deploy(vertx, stubPort, 1, "sk-upstream-limits")
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    redis = new TestRedis.Private().start();
    gateway = new GatewayProcesses();
    gateway.createDatabase();
    gateway.startControlPlane();
    user =
        post("/admin/v1/users", JSON.createObjectNode().put("name", "limits")).get("id").asLong();
    ObjectNode groupBody = JSON.createObjectNode().put("name", "limits").put("platform", "openai");
    groupBody.putArray("models").add("gpt-4o-mini");
    group = post("/admin/v1/provider-groups", groupBody).get("id").asLong();
    post(
        "/admin/v1/provider-keys",
        JSON.createObjectNode()
            .put("group_id", group)
            .put("base_url", "http://127.0.0.1:" + stubPort + "/v1")
            .put("secret", "sk-upstream-limits")
            // Fixed and high: this test is about the client limits, not the provider key's.
            .put("max_concurrent", 1000));
    for (int i = 0; i < dataPlanes.length; i++) {
      dataPlanes[i] =
          gateway.startDataPlane(
              dpPorts[i],
              Duration.ofSeconds(1),
              Map.of(
                  "TOLLGATE_REDIS_URL",
                  redis.url(),
                  "TOLLGATE_REDIS_LEASE_TTL",
                  LEASE_TTL.toMillis() + "ms",
                  // A loaded test machine answers slowly; the bound itself has its own tests.
                  "TOLLGATE_REDIS_TIMEOUT",
                  "2s"));
    }
  }

  @AfterAll
  static void stopGateway() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    if (redis != null) {
      redis.close();
    }
    if (vertx != null) {
      vertx.close();
    }
  }

  @Test
  void twoDataPlanesTogetherAdmitExactlyTheKeysRpm() throws Exception {
    // Given a key allowing 40 requests per minute, known to both data planes
    String secret = createKey(JSON.createObjectNode().put("rpm_limit", 40));
    awaitMinuteAwayFromItsEdge();

    // When 100 requests go to the two data planes at once, 10 in parallel
    ExecutorService clients = Executors.newFixedThreadPool(10);
    List<Future<Integer>> answers = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      int port = dpPorts[i % 2];
      answers.add(clients.submit(() -> chat(port, secret, "").statusCode()));
    }
    int ok = 0;
    int limited = 0;
    for (Future<Integer> answer : answers) {
      int status = answer.get(60, TimeUnit.SECONDS);
      if (status == 200) {
        ok++;
      } else if (status == 429) {
        limited++;
      }
    }
    clients.shutdown();

    // Then exactly 40 were admitted in all, and the rest refused
    assertThat(ok).isEqualTo(40);
    assertThat(limited).isEqualTo(60);
  }

  @Test
  void theLeaseOfADataPlaneKilledWithSigkillExpiresAndFreesTheSlot() throws Exception {
    // Given a key allowing one request in flight, held by a slow stream on the first data plane
    String secret = createKey(JSON.createObjectNode().put("concurrency_limit", 1));
    HttpResponse<InputStream> holding =
        HTTP.send(
            request(
                dpPorts[0],
                secret,
                ",\"max_tokens\":200,\"stream\":true,\"x_stub\":{\"chunk_delay_ms\":100}"),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(holding.statusCode()).isEqualTo(200);
    holding.body().read();
    assertThat(chat(dpPorts[1], secret, "").statusCode()).isEqualTo(429);

    // When the first data plane is killed (no release, no renewal)
    dataPlanes[0].destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    long killedAt = System.nanoTime();

    // Then the other admits the key again once the lease has expired, and not long after
    Eventually.within(
        LEASE_TTL.plusSeconds(3),
        () -> {
          try {
            assertThat(chat(dpPorts[1], secret, "").statusCode()).isEqualTo(200);
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
    // Not before its time either: the lease was last renewed at most a third of its life before the
    // kill.
    Duration freedAfter = Duration.ofNanos(System.nanoTime() - killedAt);
    dataPlanes[0] =
        gateway.startDataPlane(
            dpPorts[0],
            Duration.ofSeconds(1),
            Map.of(
                "TOLLGATE_REDIS_URL",
                redis.url(),
                "TOLLGATE_REDIS_LEASE_TTL",
                LEASE_TTL.toMillis() + "ms",
                "TOLLGATE_REDIS_TIMEOUT",
                "2s"));
    assertThat(freedAfter)
        .isGreaterThanOrEqualTo(LEASE_TTL.multipliedBy(2).dividedBy(3).minusMillis(300));
  }

  @Test
  void requestsKeepBeingServedWhileRedisIsDownAndAreLimitedAgainWhenItIsBack() throws Exception {
    // Given a limited key that works
    String secret = createKey(JSON.createObjectNode().put("rpm_limit", 1_000));
    assertThat(chat(dpPorts[1], secret, "").statusCode()).isEqualTo(200);

    // When Redis is killed in the middle of the traffic
    redis.kill();

    // Then both data planes keep answering (open fail mode), each request within the timeout
    for (int i = 0; i < 10; i++) {
      long start = System.nanoTime();
      assertThat(chat(dpPorts[i % 2], secret, "").statusCode()).isEqualTo(200);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }
    String metrics =
        HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dpPorts[1] + "/q/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(metrics)
        .contains("tollgate_ratelimit_redis_unavailable_total{decision=\"admitted\"");

    // And once Redis is back, a limit applies again
    redis.start();
    String limited = createKey(JSON.createObjectNode().put("rpm_limit", 1));
    Eventually.within(
        Duration.ofSeconds(10),
        () -> {
          try {
            chat(dpPorts[1], limited, "");
            assertThat(chat(dpPorts[1], limited, "").statusCode()).isEqualTo(429);
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
  }

  private static String createKey(ObjectNode limits) throws Exception {
    limits.put("user_id", user).put("name", "limits-" + System.nanoTime());
    limits.putArray("group_ids").add(group);
    String secret = post("/admin/v1/keys", limits).get("key").asText();
    for (int port : dpPorts) {
      Eventually.within(
          Duration.ofSeconds(5),
          () -> {
            try {
              HttpResponse<String> models =
                  HTTP.send(
                      HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models"))
                          .header("Authorization", "Bearer " + secret)
                          .build(),
                      HttpResponse.BodyHandlers.ofString());
              assertThat(models.statusCode()).isEqualTo(200);
            } catch (Exception e) {
              throw new AssertionError(e);
            }
          });
    }
    return secret;
  }

  private static HttpRequest request(int port, String secret, String extra) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
        .header("Authorization", "Bearer " + secret)
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(30))
        .POST(
            HttpRequest.BodyPublishers.ofString(
                "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"
                    + (extra.isEmpty() ? ",\"max_tokens\":1" : extra)
                    + "}"))
        .build();
  }

  private static HttpResponse<String> chat(int port, String secret, String extra) throws Exception {
    return HTTP.send(request(port, secret, extra), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode post(String path, ObjectNode body) throws Exception {
    return JSON.readTree(gateway.admin("POST", path, body.toString(), 201));
  }

  /** Waits out the last seconds of a minute so that a test's requests share one RPM window. */
  private static void awaitMinuteAwayFromItsEdge() throws Exception {
    long seconds =
        Long.parseLong(TestRedis.cliAt(redis.url(), "TIME").lines().findFirst().orElseThrow());
    if (seconds % 60 >= 45) {
      Thread.sleep((60 - seconds % 60 + 1) * 1000);
    }
  }
}
