package dev.tollgate.dataplane.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class UpstreamErrorsTest {

  @Test
  void takesTheMessageOfAnOpenAiOrAnthropicShapedErrorBody() {
    // Given
    Buffer openAi =
        Buffer.buffer("{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}");
    Buffer anthropic =
        Buffer.buffer(
            "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}");

    // Then
    assertThat(UpstreamErrors.message(openAi)).isEqualTo("Rate limit reached");
    assertThat(UpstreamErrors.message(anthropic)).isEqualTo("Overloaded");
  }

  @Test
  void keepsABodyThatIsNotJsonAsText() {
    assertThat(UpstreamErrors.message(Buffer.buffer("<html>Bad gateway</html>")))
        .isEqualTo("<html>Bad gateway</html>");
  }

  @Test
  void masksCredentialsAnUpstreamEchoes() {
    // Given messages echoing keys and a bearer token
    String echoed =
        "Incorrect API key provided: sk-proj-abcdef123456. Also tg-0123456789abcdef and"
            + " Authorization: Bearer eyJhbGciOi.secret";

    // When
    String message = UpstreamErrors.redact(echoed);

    // Then
    assertThat(message)
        .doesNotContain("sk-proj-abcdef123456", "tg-0123456789abcdef", "eyJhbGciOi.secret")
        .contains("Incorrect API key provided: [redacted]");
  }

  @Test
  void cutsMessagesToTheContractsBound() {
    assertThat(UpstreamErrors.redact("x".repeat(2000))).hasSize(500);
  }
}
