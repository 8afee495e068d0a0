package dev.tollgate.dataplane.proxy;

import static dev.tollgate.dataplane.GatewayTestResource.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.GatewayTestResource;
import dev.tollgate.proto.config.v1.Status;
import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.ErrorEvent;
import dev.tollgate.proto.usage.v1.FlushRequest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(value = GatewayTestResource.class, restrictToAnnotatedClass = false)
class ProxyPipelineTest {

  @TestHTTPResource("/v1/chat/completions")
  URI chatCompletions;

  /** 18 characters of content: the stub reports 18 / 4 = 4 prompt tokens. */
  private static final String MESSAGES = "[{\"role\":\"user\",\"content\":\"Hello there, stub!\"}]";

  private static String body(String model, int maxTokens, String extra) {
    return "{\"model\":\""
        + model
        + "\",\"messages\":"
        + MESSAGES
        + ",\"max_tokens\":"
        + maxTokens
        + extra
        + "}";
  }

  private static Response post(String secret, String body) {
    return given()
        .header("Authorization", "Bearer " + secret)
        .contentType("application/json")
        .body(body)
        .post("/v1/chat/completions");
  }

  private static void assertError(Response response, int status, String code) {
    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(response.jsonPath().getString("error.code")).isEqualTo(code);
    assertThat(response.jsonPath().getString("error.message")).isNotBlank();
    assertThat(response.jsonPath().getString("error.type")).isNotBlank();
  }

  private static List<ErrorEvent> errorsOf(long keyId) {
    return controlPlane.appliedBatches().stream()
        .flatMap(b -> b.getErrorsList().stream())
        .filter(e -> e.getKeyId() == keyId)
        .toList();
  }

  @Test
  void reportsReadyOnceTheSnapshotIsLoaded() {
    Eventually.within(
        Duration.ofSeconds(5), () -> given().get("/q/health/ready").then().statusCode(200));
  }

  @Test
  void refusesMissingAndUnknownKeysWith401InvalidApiKey() {
    // Given no key, and a key the replica does not know
    Response missing =
        given()
            .contentType("application/json")
            .body(body("gpt-4o-mini", 1, ""))
            .post("/v1/chat/completions");
    Response unknown = post("tg-nobody", body("gpt-4o-mini", 1, ""));

    // Then both are refused as invalid keys
    assertError(missing, 401, "invalid_api_key");
    assertError(unknown, 401, "invalid_api_key");
  }

  @Test
  void refusesDisabledExpiredAndUserDisabledKeysWith401() {
    // When keys in each refused state call
    String body = body("gpt-4o-mini", 1, "");

    // Then each gets its own code
    assertError(post(DISABLED_SECRET, body), 401, "key_disabled");
    assertError(post(EXPIRED_SECRET, body), 401, "key_expired");
    assertError(post(STATUS_EXPIRED_SECRET, body), 401, "key_expired");
    assertError(post(USER_DISABLED_SECRET, body), 401, "key_disabled");
  }

  @Test
  void refuses403IpNotAllowedFromADeniedAddressBeforeReadingTheBody() {
    // When a key denied from loopback calls from loopback
    Response response = post(LOOPBACK_DENIED_SECRET, body("gpt-4o-mini", 1, ""));

    // Then
    assertError(response, 403, "ip_not_allowed");
  }

  @Test
  void refuses403ModelNotAllowedForAModelOutsideTheKeysAllowList() {
    // When a key limited to alias-model asks for gpt-4o-mini, then for alias-model
    Response refused = post(MODEL_LIMITED_SECRET, body("gpt-4o-mini", 1, ""));
    Response allowed = post(MODEL_LIMITED_SECRET, body("alias-model", 1, ""));

    // Then only the allowed model goes through
    assertError(refused, 403, "model_not_allowed");
    assertThat(allowed.statusCode()).isEqualTo(200);
  }

  @Test
  void refusesAKeyWithinTwoSecondsOfItsRevocationArrivingOverWatch() {
    // Given a working key and a DP following the CP's changes
    given()
        .header("Authorization", "Bearer " + REVOKED_LATER_SECRET)
        .get("/v1/models")
        .then()
        .statusCode(200);
    Eventually.within(
        Duration.ofSeconds(5), () -> assertThat(controlPlane.watchers()).isPositive());

    // When the CP revokes it
    long revokedAt = System.nanoTime();
    controlPlane.pushKey(
        controlPlane.key(REVOKED_LATER_KEY).toBuilder().setStatus(Status.STATUS_REVOKED).build());

    // Then it is refused within 2 s
    Eventually.within(
        Duration.ofSeconds(2),
        () ->
            assertError(
                post(REVOKED_LATER_SECRET, body("gpt-4o-mini", 1, "")), 401, "key_revoked"));
    assertThat(Duration.ofNanos(System.nanoTime() - revokedAt)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void answers404ModelNotFoundWhenNoActiveGroupOfTheKeyServesTheModel() {
    assertError(post(AUTH_SECRET, body("no-such-model", 1, "")), 404, "model_not_found");
    assertError(post(AUTH_SECRET, body("disabled-model", 1, "")), 404, "model_not_found");
    assertError(post(AUTH_SECRET, body("keyless-model", 1, "")), 404, "model_not_found");
  }

  @Test
  void answersAnOpenAiShaped404ForAnUnknownEndpoint() {
    assertError(
        given().header("Authorization", "Bearer " + AUTH_SECRET).get("/v1/embeddings"),
        404,
        "unknown_url");
  }

  @Test
  void listsTheModelsOfTheKeysActiveGroupsThatHaveAnActiveProviderKey() {
    // When
    Response response =
        given().header("Authorization", "Bearer " + MODELS_SECRET).get("/v1/models");

    // Then disabled-model (disabled group) and keyless-model (no provider key) are left out
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.jsonPath().getString("object")).isEqualTo("list");
    assertThat(response.jsonPath().getList("data.id", String.class))
        .containsExactly("alias-model", "gpt-4o-mini", "unreachable-model");
  }

  @Test
  void proxiesNonStreamingCompletionsAndCountsTheirUsageExactlyOnce() {
    // Given 3 requests of 4 prompt + 5 completion tokens, one through a mapped model name
    Response first = post(PLAIN_SECRET, body("gpt-4o-mini", 5, ""));
    Response mapped =
        given()
            .header("Authorization", "Bearer " + PLAIN_SECRET)
            .header("x-request-id", "client-chosen-id")
            .contentType("application/json")
            .body(body("alias-model", 5, ""))
            .post("/v1/chat/completions");
    Response third = post(PLAIN_SECRET, body("gpt-4o-mini", 5, ""));

    // Then the client gets the upstream's answer, the mapped model went upstream as gpt-4o
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.jsonPath().getInt("usage.total_tokens")).isEqualTo(9);
    assertThat(first.header("x-request-id")).isNotBlank();
    assertThat(mapped.jsonPath().getString("model")).isEqualTo("gpt-4o");
    assertThat(mapped.header("x-request-id")).isEqualTo("client-chosen-id");
    assertThat(third.statusCode()).isEqualTo(200);

    // And the CP receives exactly those counts, once
    Counters expected =
        Counters.newBuilder()
            .setRequests(3)
            .setSuccessRequests(3)
            .setPromptTokens(12)
            .setCompletionTokens(15)
            .setTotalTokens(27)
            .build();
    Eventually.within(
        Duration.ofSeconds(5),
        () -> assertThat(controlPlane.appliedFor(PLAIN_KEY)).isEqualTo(expected));
    sleep(600);
    assertThat(controlPlane.appliedFor(PLAIN_KEY)).isEqualTo(expected);
    assertThat(controlPlane.unauthenticatedCalls()).isZero();
  }

  @Test
  void streamsACompletionWithoutTheUsageChunkTheClientDidNotAskForAndStillCountsIt() {
    // When a client streams without stream_options.include_usage
    Response response = post(STREAM_SECRET, body("gpt-4o-mini", 5, ",\"stream\":true"));

    // Then it sees exactly the 5 content chunks and [DONE], as from a plain OpenAI call
    String sse = response.asString();
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.contentType()).startsWith("text/event-stream");
    assertThat(sse).doesNotContain("usage");
    assertThat(sse.split("data: \\{", -1)).hasSize(6);
    assertThat(sse).endsWith("data: [DONE]\n\n");

    // And the gateway counted the usage it asked for on the client's behalf
    Counters expected =
        Counters.newBuilder()
            .setRequests(1)
            .setSuccessRequests(1)
            .setPromptTokens(4)
            .setCompletionTokens(5)
            .setTotalTokens(9)
            .build();
    Eventually.within(
        Duration.ofSeconds(5),
        () -> assertThat(controlPlane.appliedFor(STREAM_KEY)).isEqualTo(expected));
  }

  @Test
  void keepsTheUsageChunkWhenTheClientAskedForIt() {
    // When
    Response response =
        post(
            AUTH_SECRET,
            body("gpt-4o-mini", 3, ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));

    // Then
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.asString())
        .contains("\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":3,\"total_tokens\":7}")
        .endsWith("data: [DONE]\n\n");
  }

  @Test
  void refusesABodyOverTheSizeLimitWith413() {
    // Given a body over the 64 KiB test limit
    String big = body("gpt-4o-mini", 1, ",\"pad\":\"" + "x".repeat(70_000) + "\"");

    // Then
    assertError(post(AUTH_SECRET, big), 413, "request_too_large");
  }

  @Test
  void answers400ForABodyThatIsNotAJsonObjectOrNamesNoModel() {
    assertError(post(AUTH_SECRET, "{not json"), 400, "invalid_json");
    assertError(post(AUTH_SECRET, "[1,2]"), 400, "invalid_json");
    assertError(post(AUTH_SECRET, "{\"messages\":[]}"), 400, "model_required");
  }

  @Test
  void passesAnUpstream500ThroughWithItsStatusAndBody() {
    // When the upstream answers 500
    Response response = post(AUTH_SECRET, body("gpt-4o-mini", 1, ",\"x_stub\":{\"status\":500}"));

    // Then the client sees the upstream's own error
    assertError(response, 500, "stub_error");
  }

  @Test
  void answers502WhenTheUpstreamCannotBeReached() {
    assertError(post(AUTH_SECRET, body("unreachable-model", 1, "")), 502, "upstream_unreachable");
  }

  @Test
  void answers502RatherThan401WhenTheUpstreamRefusesTheProviderKey() {
    assertError(post(AUTH_SECRET, body("refused-model", 1, "")), 502, "upstream_auth_failed");
  }

  @Test
  void answers504WhenTheUpstreamSendsNothingWithinTheFirstByteTimeout() {
    // Given a first-byte timeout of 1 s and an upstream that waits 1.5 s
    Response response =
        post(AUTH_SECRET, body("gpt-4o-mini", 1, ",\"x_stub\":{\"delay_ms\":1500}"));

    // Then
    assertError(response, 504, "upstream_timeout");
  }

  @Test
  void cutsAStreamWhoseUpstreamGoesSilentAndCountsItAsAFailure() throws Exception {
    // Given an idle timeout of 1 s and an upstream pausing 1.5 s between chunks
    HttpRequest request =
        HttpRequest.newBuilder(chatCompletions)
            .header("Authorization", "Bearer " + ERRORS_IDLE_SECRET)
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    body(
                        "gpt-4o-mini", 3, ",\"stream\":true,\"x_stub\":{\"chunk_delay_ms\":1500}")))
            .build();

    // When
    HttpResponse<InputStream> response =
        HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofInputStream());
    String received;
    try (InputStream body = response.body()) {
      received = new String(body.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException cut) {
      received = "";
    }

    // Then the client got the headers, never a [DONE], and the request counts as failed
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(received).doesNotContain("[DONE]");
    Eventually.within(
        Duration.ofSeconds(5),
        () ->
            assertThat(errorsOf(ERRORS_IDLE_KEY))
                .extracting(ErrorEvent::getErrorClass)
                .containsExactly("upstream_idle_timeout"));
    assertThat(controlPlane.appliedFor(ERRORS_IDLE_KEY).getFailureRequests()).isEqualTo(1);
  }

  @Test
  void countsFailuresOnTheKeyAndNamesTheProviderKeyOnlyWhenAnUpstreamWasTried() {
    // Given one failure before routing, one from the upstream, one unreachable upstream
    post(ERRORS_SECRET, body("no-such-model", 1, ""));
    post(ERRORS_SECRET, body("gpt-4o-mini", 1, ",\"x_stub\":{\"status\":500}"));
    post(ERRORS_SECRET, body("unreachable-model", 1, ""));

    // Then all three are failures of the key, with an error event each
    Eventually.within(
        Duration.ofSeconds(5),
        () -> {
          Counters counted = controlPlane.appliedFor(ERRORS_KEY);
          assertThat(counted.getRequests()).isEqualTo(3);
          assertThat(counted.getFailureRequests()).isEqualTo(3);
          assertThat(counted.getSuccessRequests()).isZero();
        });
    assertThat(errorsOf(ERRORS_KEY))
        .extracting(
            ErrorEvent::getErrorClass,
            ErrorEvent::getProviderKeyId,
            ErrorEvent::getStatusCode,
            ErrorEvent::getModel)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("model_not_found", 0L, 404, "no-such-model"),
            org.assertj.core.groups.Tuple.tuple(
                "upstream_500", STUB_PROVIDER_KEY, 500, "gpt-4o-mini"),
            org.assertj.core.groups.Tuple.tuple(
                "upstream_unreachable", UNREACHABLE_PROVIDER_KEY, 502, "unreachable-model"));
    assertThat(
            controlPlane.appliedBatches().stream()
                .flatMap(b -> b.getBucketsList().stream())
                .filter(b -> b.getKeyId() == ERRORS_KEY)
                .collect(
                    java.util.stream.Collectors.groupingBy(
                        b -> b.getProviderKeyId() + "/" + b.getModel(),
                        java.util.stream.Collectors.summingLong(
                            b -> b.getCounters().getFailureRequests()))))
        .containsExactlyInAnyOrderEntriesOf(
            java.util.Map.of(
                // a model no group serves is counted under a marker; its error event names it
                "0/(other)",
                1L,
                STUB_PROVIDER_KEY + "/gpt-4o-mini",
                1L,
                UNREACHABLE_PROVIDER_KEY + "/unreachable-model",
                1L));
    assertThat(controlPlane.appliedBatches()).allSatisfy(FakeBatchChecks::assertWellFormed);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** What the real CP validates, so a malformed batch fails here first. */
  static final class FakeBatchChecks {
    static void assertWellFormed(FlushRequest batch) {
      assertThat(batch.getDpInstanceId()).isNotBlank();
      assertThat(batch.getSequence()).isPositive();
      batch
          .getKeyDeltasList()
          .forEach(
              d ->
                  assertThat(
                          d.getCounters().getSuccessRequests()
                              + d.getCounters().getFailureRequests())
                      .isLessThanOrEqualTo(d.getCounters().getRequests()));
      batch.getBucketsList().forEach(b -> assertThat(b.getBucketStartUnixS() % 60).isZero());
    }
  }
}
