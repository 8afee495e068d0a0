package dev.tollgate.dataplane.proxy;

import static dev.tollgate.dataplane.GatewayTestResource.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.GatewayTestResource;
import dev.tollgate.proto.usage.v1.Counters;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's official Java SDK ({@code com.openai:openai-java}), unmodified, pointed at the gateway:
 * plain and streamed chat completions, model listing, and the SDK's typed errors.
 */
@QuarkusTest
@QuarkusTestResource(value = GatewayTestResource.class, restrictToAnnotatedClass = false)
class OpenAiJavaClientTest {

  @TestHTTPResource("/v1")
  URI v1;

  private OpenAIClient client(String secret) {
    // No retries: a retried 429 would hide what the gateway answered.
    return OpenAIOkHttpClient.builder().apiKey(secret).baseUrl(v1.toString()).maxRetries(0).build();
  }

  private static ChatCompletionCreateParams.Builder hello(String model) {
    return ChatCompletionCreateParams.builder()
        .model(model)
        .addUserMessage("Hello there, stub!")
        .maxTokens(3);
  }

  @Test
  void answersPlainAndStreamedChatCompletionsAndCountsBothWithTheUpstreamsUsage() {
    // Given the SDK with a Tollgate key
    OpenAIClient client = client(OPENAI_JAVA_SECRET);
    Counters before = controlPlane.settledFor(OPENAI_JAVA_KEY, java.time.Duration.ofMillis(600));

    // When it asks plainly
    ChatCompletion completion = client.chat().completions().create(hello("gpt-4o-mini").build());
    // And streamed with usage
    List<String> deltas = new ArrayList<>();
    List<CompletionUsage> usages = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream =
        client
            .chat()
            .completions()
            .createStreaming(
                hello("gpt-4o-mini")
                    .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                    .build())) {
      stream.stream()
          .forEach(
              chunk -> {
                chunk.choices().forEach(choice -> choice.delta().content().ifPresent(deltas::add));
                chunk.usage().ifPresent(usages::add);
              });
    }

    // Then the SDK parses both answers
    assertThat(completion.choices().get(0).message().content()).contains("tok tok tok");
    assertThat(completion.usage().map(CompletionUsage::totalTokens)).contains(7L);
    assertThat(String.join("", deltas)).isEqualTo("tok tok tok");
    assertThat(usages).hasSize(1);
    assertThat(usages.get(0).promptTokens()).isEqualTo(4);
    assertThat(usages.get(0).completionTokens()).isEqualTo(3);
    // And the gateway counted both: 4 input and 3 output tokens each
    Eventually.within(
        Duration.ofSeconds(5),
        () -> {
          Counters now = controlPlane.appliedFor(OPENAI_JAVA_KEY);
          assertThat(now.getSuccessRequests() - before.getSuccessRequests()).isEqualTo(2);
          assertThat(now.getPromptTokens() - before.getPromptTokens()).isEqualTo(8);
          assertThat(now.getCompletionTokens() - before.getCompletionTokens()).isEqualTo(6);
        });
  }

  @Test
  void listsTheKeysModelsThroughTheSdk() {
    // When
    List<String> ids = new ArrayList<>();
    client(ALLOWED_MODELS_SECRET).models().list().autoPager().forEach(m -> ids.add(m.id()));

    // Then
    assertThat(ids).containsExactly("claude-stub", "gpt-4o-mini");
  }

  @Test
  void surfacesAnInvalidKeyAsTheSdksAuthenticationError() {
    assertThatThrownBy(
            () -> client("tg-nobody").chat().completions().create(hello("gpt-4o-mini").build()))
        .isInstanceOfSatisfying(
            UnauthorizedException.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(401);
              assertThat(e.code()).contains("invalid_api_key");
            });
  }

  @Test
  void surfacesAnUnknownModelAsTheSdksNotFoundError() {
    assertThatThrownBy(
            () -> client(AUTH_SECRET).chat().completions().create(hello("no-such-model").build()))
        .isInstanceOfSatisfying(
            NotFoundException.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(404);
              assertThat(e.code()).contains("model_not_found");
            });
  }

  @Test
  void surfacesAnUpstream429AsTheSdksRateLimitError() {
    // Given a request the stub answers with 429 (on a provider key of its own, which it cools down)
    ChatCompletionCreateParams params =
        hello("throttled-model")
            .putAdditionalBodyProperty("x_stub", JsonValue.from(Map.of("status", 429)))
            .build();

    // Then
    assertThatThrownBy(() -> client(AUTH_SECRET).chat().completions().create(params))
        .isInstanceOfSatisfying(
            RateLimitException.class, e -> assertThat(e.statusCode()).isEqualTo(429));
  }
}
