package dev.tollgate.dataplane.proxy;

import static dev.tollgate.dataplane.GatewayTestResource.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.GatewayTestResource;
import dev.tollgate.proto.usage.v1.Counters;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vertx.core.MultiMap;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Every endpoint of the API surface against the stub upstream, whose usage is a known function of
 * the request (see StubUpstream): answers pass through, and what is counted is what the upstream
 * reported, in either API's naming.
 */
@QuarkusTest
@QuarkusTestResource(value = GatewayTestResource.class, restrictToAnnotatedClass = false)
class ApiSurfaceTest {

  /** 18 characters: 4 input tokens at the stub. */
  private static final String HELLO = "Hello there, stub!";

  private static Response post(String path, String secret, String body) {
    return given()
        .header("Authorization", "Bearer " + secret)
        .contentType("application/json")
        .body(body)
        .post(path);
  }

  private static Response postAnthropic(String apiKey, String body) {
    return given()
        .header("x-api-key", apiKey)
        .contentType("application/json")
        .body(body)
        .post("/v1/messages");
  }

  private static String messagesBody(String model, int maxTokens, boolean stream) {
    return "{\"model\":\""
        + model
        + "\",\"max_tokens\":"
        + maxTokens
        + ",\"stream\":"
        + stream
        + ",\"messages\":[{\"role\":\"user\",\"content\":\""
        + HELLO
        + "\"}]}";
  }

  /** Waits until the key's applied counters grew by exactly these tokens and requests. */
  private static void assertCounted(
      long keyId, Counters before, long requests, long prompt, long completion, long total) {
    Eventually.within(
        Duration.ofSeconds(5),
        () -> {
          Counters now = controlPlane.appliedFor(keyId);
          assertThat(now.getRequests() - before.getRequests()).isEqualTo(requests);
          assertThat(now.getSuccessRequests() - before.getSuccessRequests()).isEqualTo(requests);
          assertThat(now.getPromptTokens() - before.getPromptTokens()).isEqualTo(prompt);
          assertThat(now.getCompletionTokens() - before.getCompletionTokens())
              .isEqualTo(completion);
          assertThat(now.getTotalTokens() - before.getTotalTokens()).isEqualTo(total);
        });
  }

  @Test
  void proxiesLegacyCompletionsPlainAndStreamedAndCountsBoth() {
    // Given a prompt of 21 characters (5 tokens) and 3 output tokens
    Counters before = controlPlane.settledFor(SURFACE_KEY, java.time.Duration.ofMillis(600));
    String body =
        "{\"model\":\"gpt-4o-mini\",\"prompt\":\"Say hello to the stub\",\"max_tokens\":3";

    // When it is asked plainly, then streamed without asking for usage
    Response plain = post("/v1/completions", SURFACE_SECRET, body + "}");
    Response streamed = post("/v1/completions", SURFACE_SECRET, body + ",\"stream\":true}");

    // Then both answer as the upstream did, the stream without the usage the gateway asked for
    assertThat(plain.statusCode()).isEqualTo(200);
    assertThat(plain.jsonPath().getString("choices[0].text")).isEqualTo("tok tok tok");
    assertThat(plain.jsonPath().getInt("usage.total_tokens")).isEqualTo(8);
    assertThat(streamed.statusCode()).isEqualTo(200);
    assertThat(streamed.asString()).contains("\"text\":\" tok\"").endsWith("data: [DONE]\n\n");
    assertThat(streamed.asString()).doesNotContain("usage");
    // And both are counted with the upstream's usage
    assertCounted(SURFACE_KEY, before, 2, 10, 6, 16);
  }

  @Test
  void proxiesEmbeddingsAndCountsTheirInputTokens() {
    // Given two inputs of 8 characters: 16 / 4 = 4 input tokens, no output
    Counters before = controlPlane.settledFor(SURFACE_KEY, java.time.Duration.ofMillis(600));

    // When
    Response response =
        post(
            "/v1/embeddings",
            SURFACE_SECRET,
            "{\"model\":\"gpt-4o-mini\",\"input\":[\"abcdefgh\",\"ijklmnop\"]}");

    // Then
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.jsonPath().getList("data")).hasSize(2);
    assertThat(response.jsonPath().getList("data[0].embedding")).isNotEmpty();
    assertCounted(SURFACE_KEY, before, 1, 4, 0, 4);
  }

  @Test
  void proxiesResponsesAndReadsInputAndOutputTokensPlainAndFromResponseCompleted() {
    // Given 4 input tokens and 5 output tokens
    Counters before = controlPlane.settledFor(SURFACE_KEY, java.time.Duration.ofMillis(600));
    String body = "{\"model\":\"gpt-4o-mini\",\"input\":\"" + HELLO + "\",\"max_output_tokens\":5";

    // When
    Response plain = post("/v1/responses", SURFACE_SECRET, body + "}");
    Response streamed = post("/v1/responses", SURFACE_SECRET, body + ",\"stream\":true}");

    // Then the answers pass through, and usage is counted from each
    assertThat(plain.statusCode()).isEqualTo(200);
    assertThat(plain.jsonPath().getString("object")).isEqualTo("response");
    assertThat(plain.jsonPath().getInt("usage.input_tokens")).isEqualTo(4);
    assertThat(streamed.statusCode()).isEqualTo(200);
    assertThat(streamed.asString())
        .contains("event: response.output_text.delta")
        .contains("event: response.completed");
    assertCounted(SURFACE_KEY, before, 2, 8, 10, 18);
  }

  @Test
  void proxiesAnthropicMessagesWithTheProviderKeyAsXApiKeyAndCountsTheirUsage() {
    // Given a client key sent as x-api-key, as Anthropic's SDKs do
    Counters before = controlPlane.settledFor(ANTHROPIC_KEY, java.time.Duration.ofMillis(600));
    String requestId = "anthropic-" + UUID.randomUUID();

    // When it asks plainly and streamed
    Response plain =
        given()
            .header("x-api-key", ANTHROPIC_SECRET)
            .header("x-request-id", requestId)
            .contentType("application/json")
            .body(messagesBody("claude-stub", 6, false))
            .post("/v1/messages");
    Response streamed = postAnthropic(ANTHROPIC_SECRET, messagesBody("claude-stub", 6, true));

    // Then the answers pass through
    assertThat(plain.statusCode()).isEqualTo(200);
    assertThat(plain.jsonPath().getString("type")).isEqualTo("message");
    assertThat(plain.jsonPath().getString("model")).isEqualTo("claude-stub-upstream");
    assertThat(plain.header("x-request-id")).isEqualTo(requestId);
    assertThat(streamed.statusCode()).isEqualTo(200);
    assertThat(streamed.asString())
        .contains("event: message_start")
        .contains("event: message_delta")
        .contains("event: message_stop");
    // And the upstream got the provider key as x-api-key, a default anthropic-version, and
    // neither the client's key nor a bearer token
    MultiMap upstreamHeaders = upstreamJournal.headers(requestId);
    assertThat(upstreamHeaders.get("x-api-key")).isEqualTo(PROVIDER_SECRET);
    assertThat(upstreamHeaders.get("anthropic-version")).isEqualTo("2023-06-01");
    assertThat(upstreamHeaders.contains("authorization")).isFalse();
    // And usage is read from usage.input/output_tokens and from message_start + message_delta
    assertCounted(ANTHROPIC_KEY, before, 2, 8, 12, 20);
  }

  @Test
  void passesTheClientsAnthropicVersionThroughAndAcceptsABearerKeyOnMessages() {
    // Given
    String requestId = "anthropic-version-" + UUID.randomUUID();

    // When
    Response response =
        given()
            .header("Authorization", "Bearer " + ANTHROPIC_SECRET)
            .header("anthropic-version", "2023-01-01")
            .header("x-request-id", requestId)
            .contentType("application/json")
            .body(messagesBody("claude-stub", 1, false))
            .post("/v1/messages");

    // Then
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(upstreamJournal.headers(requestId).get("anthropic-version")).isEqualTo("2023-01-01");
  }

  @Test
  void answersMessagesErrorsInAnthropicShape() {
    // When an unknown key, and a model served only by an OpenAI-compatible group, are used
    Response unknownKey = postAnthropic("tg-nobody", messagesBody("claude-stub", 1, false));
    Response openAiModel = postAnthropic(ANTHROPIC_SECRET, messagesBody("gpt-4o-mini", 1, false));

    // Then the errors are Anthropic-shaped, with the Tollgate code alongside
    assertThat(unknownKey.statusCode()).isEqualTo(401);
    assertThat(unknownKey.jsonPath().getString("type")).isEqualTo("error");
    assertThat(unknownKey.jsonPath().getString("error.type")).isEqualTo("authentication_error");
    assertThat(unknownKey.jsonPath().getString("error.code")).isEqualTo("invalid_api_key");
    assertThat(openAiModel.statusCode()).isEqualTo(404);
    assertThat(openAiModel.jsonPath().getString("error.type")).isEqualTo("not_found_error");
    assertThat(openAiModel.jsonPath().getString("error.message")).contains("/v1/chat/completions");
  }

  @Test
  void refusesAnAnthropicModelOnAnOpenAiEndpointWithAClear404() {
    // When
    Response response =
        post(
            "/v1/chat/completions",
            AUTH_SECRET,
            "{\"model\":\"claude-stub\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

    // Then
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.jsonPath().getString("error.code")).isEqualTo("model_not_found");
    assertThat(response.jsonPath().getString("error.message")).contains("/v1/messages");
  }

  @Test
  void forwardsNoHopByHopHeadersAndEchoesTheRequestId() {
    // Given a request naming a custom header as hop-by-hop in its Connection header
    String requestId = "hop-" + UUID.randomUUID();

    // When
    Response response =
        given()
            .header("Authorization", "Bearer " + AUTH_SECRET)
            .header("x-request-id", requestId)
            .header("Connection", "keep-alive, X-Hop-Only")
            .header("X-Hop-Only", "1")
            .header("Keep-Alive", "timeout=5")
            .header("Proxy-Authorization", "Basic c2VjcmV0")
            .header("TE", "trailers")
            .header("X-End-To-End", "kept")
            .contentType("application/json")
            .body("{\"model\":\"gpt-4o-mini\",\"prompt\":\"hi\",\"max_tokens\":1}")
            .post("/v1/completions");

    // Then the id is echoed and the upstream saw only end-to-end headers
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.header("x-request-id")).isEqualTo(requestId);
    MultiMap upstreamHeaders = upstreamJournal.headers(requestId);
    assertThat(upstreamHeaders.get("x-request-id")).isEqualTo(requestId);
    assertThat(upstreamHeaders.get("X-End-To-End")).isEqualTo("kept");
    for (String hopByHop : new String[] {"X-Hop-Only", "Keep-Alive", "Proxy-Authorization", "TE"}) {
      assertThat(upstreamHeaders.contains(hopByHop)).as(hopByHop).isFalse();
    }
    assertThat(upstreamHeaders.get("Authorization")).isEqualTo("Bearer " + PROVIDER_SECRET);
  }

  @Test
  void refusesABodyOverTheSizeLimitWith413OnEveryEndpoint() {
    // Given a body over the 64 KiB limit of the tests
    String big = "{\"model\":\"gpt-4o-mini\",\"input\":\"" + "x".repeat(70_000) + "\"}";

    // Then each endpoint refuses it, in its own error shape
    for (String path : new String[] {"/v1/embeddings", "/v1/responses", "/v1/completions"}) {
      Response response = post(path, AUTH_SECRET, big);
      assertThat(response.statusCode()).as(path).isEqualTo(413);
      assertThat(response.jsonPath().getString("error.code")).isEqualTo("request_too_large");
    }
    Response messages = postAnthropic(ANTHROPIC_SECRET, big);
    assertThat(messages.statusCode()).isEqualTo(413);
    assertThat(messages.jsonPath().getString("error.type")).isEqualTo("request_too_large");
  }

  @Test
  void listsOnlyAllowedModelsOfGroupsWithAnActiveProviderKeyInOpenAiListShape() {
    // When a key allowed gpt-4o-mini, claude-stub and keyless-model lists its models
    Response response =
        given().header("Authorization", "Bearer " + ALLOWED_MODELS_SECRET).get("/v1/models");

    // Then keyless-model (no provider key) and models it may not use are left out
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.jsonPath().getString("object")).isEqualTo("list");
    assertThat(response.jsonPath().getList("data.id"))
        .containsExactly("claude-stub", "gpt-4o-mini");
    assertThat(response.jsonPath().getList("data.object")).containsOnly("model");
  }
}
