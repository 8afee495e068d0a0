package dev.tollgate.dataplane.proxy;

import static dev.tollgate.dataplane.RoutingTestResource.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.RoutingTestProfile;
import dev.tollgate.proto.config.v1.ProviderKey;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Failover, cooldowns, take-outs and circuits, seen from the client and the flushed counts. */
@QuarkusTest
@TestProfile(RoutingTestProfile.class)
class FailoverTest {

  @TestHTTPResource("/v1/chat/completions")
  URI chatCompletions;

  private static String body(String model, String extra) {
    return "{\"model\":\""
        + model
        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello there, stub!\"}]"
        + ",\"max_tokens\":2"
        + extra
        + "}";
  }

  private static Response post(String body) {
    return given()
        .header("Authorization", "Bearer " + CLIENT_SECRET)
        .contentType("application/json")
        .body(body)
        .post("/v1/chat/completions");
  }

  private static void assertTries(long providerKeyId, long requests, long success) {
    Eventually.within(
        Duration.ofSeconds(5),
        () -> {
          var counters = appliedForProviderKey(providerKeyId).getCounters();
          assertThat(counters.getRequests()).as("tries of %d", providerKeyId).isEqualTo(requests);
          assertThat(counters.getSuccessRequests())
              .as("successes of %d", providerKeyId)
              .isEqualTo(success);
        });
  }

  private static String metrics() {
    return given().get("/q/metrics").asString();
  }

  @Test
  void failsOverToTheNextKeyWhenTheFirstCannotBeReached() {
    // When the priority-1 key's upstream refuses connections
    Response response = post(body(FAILOVER_MODEL, ""));

    // Then the client gets the priority-2 key's answer, and both tries are counted on their keys
    assertThat(response.statusCode()).isEqualTo(200);
    assertTries(FAILOVER_DEAD, 1, 0);
    assertTries(FAILOVER_LIVE, 1, 1);
    assertThat(metrics()).contains("tollgate_upstream_failovers_total{reason=\"connect\"}");
  }

  @Test
  void triesAtMostTwoOtherKeysAndAnswersWithTheLastFailure() {
    // Given four keys that all refuse connections
    // When
    Response response = post(body(RETRIES_MODEL, ""));

    // Then three tries were made (the first and two retries) and the client sees a 502
    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(response.jsonPath().getString("error.code")).isEqualTo("upstream_unreachable");
    Eventually.within(
        Duration.ofSeconds(5),
        () -> {
          long tries = 0;
          for (int i = 0; i < 4; i++) {
            tries += appliedForProviderKey(RETRIES_FIRST_KEY + i).getCounters().getRequests();
          }
          assertThat(tries).isEqualTo(3);
        });
  }

  @Test
  void usesTheFallbackGroupWhenEveryKeyOfTheGroupFailed() {
    // When the only key of the group cannot be reached
    Response response = post(body(FALLBACK_MODEL, ""));

    // Then the fallback group's key answers, although the client key is not bound to that group
    assertThat(response.statusCode()).isEqualTo(200);
    assertTries(FALLBACK_DEAD, 1, 0);
    assertTries(FALLBACK_TARGET_KEY, 1, 1);
  }

  @Test
  void failsOverOnARateLimit429AndCoolsTheKeyDownUntilItsReset() throws Exception {
    // Given stub B (the priority-1 key) answers 429 with its request window spent for 2 s
    String throttled =
        ",\"x_stub\":{\"status\":429,\"only_port\":"
            + stubB
            + ",\"headers\":{\"x-ratelimit-remaining-requests\":\"0\","
            + "\"x-ratelimit-reset-requests\":\"2s\"}}";

    // When one request meets the 429, and another follows at once
    Response first = post(body(THROTTLE_MODEL, throttled));
    Response second = post(body(THROTTLE_MODEL, ""));

    // Then both are answered by the priority-2 key; the resting key was not even tried again
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(second.statusCode()).isEqualTo(200);
    assertTries(THROTTLE_FIRST, 1, 0);
    assertTries(THROTTLE_SECOND, 2, 2);
    assertThat(appliedForProviderKey(THROTTLE_FIRST).getUpstream429Rpm()).isEqualTo(1);
    assertThat(metrics())
        .contains(
            "tollgate_upstream_throttled_total{kind=\"rpm\",provider_key=\""
                + THROTTLE_FIRST
                + "\"}");

    // And once the reset has passed, the priority-1 key serves again
    Thread.sleep(2_100);
    assertThat(post(body(THROTTLE_MODEL, "")).statusCode()).isEqualTo(200);
    assertTries(THROTTLE_FIRST, 2, 1);
  }

  @Test
  void neverFailsOverOnceResponseBytesReachedTheClient() throws Exception {
    // Given the priority-1 upstream goes silent (1.5 s) mid-stream, past the 1 s idle timeout
    HttpRequest request =
        HttpRequest.newBuilder(chatCompletions)
            .header("Authorization", "Bearer " + CLIENT_SECRET)
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    body(STREAM_MODEL, ",\"stream\":true,\"x_stub\":{\"chunk_delay_ms\":1500}")))
            .build();

    // When
    HttpResponse<InputStream> response =
        HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofInputStream());
    String received;
    try (InputStream in = response.body()) {
      received = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException cut) {
      received = "";
    }

    // Then the stream is cut, and the other key was never tried
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(received).doesNotContain("[DONE]");
    assertTries(STREAM_FIRST, 1, 0);
    assertThat(appliedForProviderKey(STREAM_SECOND).getCounters().getRequests()).isZero();
  }

  @Test
  void takesAKeyRefusedWith401OutUntilItsConfigurationChanges() {
    // When the priority-1 key's secret is refused
    Response first = post(body(AUTH_MODEL, ""));
    Response second = post(body(AUTH_MODEL, ""));

    // Then the request fails over, and the refused key is out of service for the next one
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(second.statusCode()).isEqualTo(200);
    assertTries(AUTH_REFUSED, 1, 0);
    assertTries(AUTH_ACCEPTED, 2, 2);
    assertThat(metrics())
        .contains("tollgate_upstream_auth_failures_total{provider_key=\"" + AUTH_REFUSED + "\"}");

    // When the operator fixes its secret
    ProviderKey fixed =
        controlPlane.providerKey(AUTH_REFUSED).toBuilder().setSecret(PROVIDER_SECRET).build();
    controlPlane.pushProviderKey(fixed);

    // Then it serves again
    Eventually.within(
        Duration.ofSeconds(5),
        () -> {
          assertThat(post(body(AUTH_MODEL, "")).statusCode()).isEqualTo(200);
          assertThat(appliedForProviderKey(AUTH_REFUSED).getCounters().getSuccessRequests())
              .isPositive();
        });
  }

  @Test
  void opensTheCircuitAfterHalfOfFiveTriesFailAndClosesItAfterASuccessfulProbe() throws Exception {
    // Given five tries answered 500 by the only key of the group
    for (int i = 0; i < 5; i++) {
      assertThat(post(body(CIRCUIT_MODEL, ",\"x_stub\":{\"status\":500}")).statusCode())
          .isEqualTo(500);
    }

    // Then its circuit is open: the next request is refused without trying it
    Response refused = post(body(CIRCUIT_MODEL, ""));
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.jsonPath().getString("error.code")).isEqualTo("upstream_unavailable");
    assertThat(refused.header("Retry-After")).isNotBlank();
    assertThat(metrics())
        .contains("tollgate_upstream_circuit_state{provider_key=\"" + CIRCUIT_KEY + "\"} 2.0");

    // When a half-open probe (after 0.5 s) fails, the wait doubles (1 s)
    Thread.sleep(600);
    assertThat(post(body(CIRCUIT_MODEL, ",\"x_stub\":{\"status\":500}")).statusCode())
        .isEqualTo(500);
    Thread.sleep(600);
    assertThat(post(body(CIRCUIT_MODEL, "")).statusCode()).isEqualTo(503);

    // Then a successful probe after the longer wait closes it
    Thread.sleep(500);
    assertThat(post(body(CIRCUIT_MODEL, "")).statusCode()).isEqualTo(200);
    assertThat(post(body(CIRCUIT_MODEL, "")).statusCode()).isEqualTo(200);
    assertThat(metrics())
        .contains("tollgate_upstream_circuit_state{provider_key=\"" + CIRCUIT_KEY + "\"} 0.0");
  }
}
