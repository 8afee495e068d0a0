package dev.tollgate.dataplane.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Golden files: {@code json/<case>.in.json} is the upstream body, {@code .out.json} the usage. */
class JsonUsageExtractorTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  static byte[] resource(String name) throws IOException {
    try (InputStream in = JsonUsageExtractorTest.class.getResourceAsStream(name)) {
      assertThat(in).as(name).isNotNull();
      return in.readAllBytes();
    }
  }

  static TokenUsage expected(String name) throws IOException {
    JsonNode out = JSON.readTree(resource(name));
    return new TokenUsage(
        out.get("prompt_tokens").asLong(),
        out.get("completion_tokens").asLong(),
        out.get("total_tokens").asLong());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "completion",
        "usage-first",
        "nested-decoy",
        "error-body",
        "not-json",
        "responses",
        "anthropic-message"
      })
  void findsTopLevelUsageWhereverTheBodyIsSplit(String name) throws IOException {
    // Given
    byte[] body = resource("json/" + name + ".in.json");
    TokenUsage expected = expected("json/" + name + ".out.json");

    // When the body arrives in two chunks split at every possible byte
    for (int split = 0; split <= body.length; split++) {
      JsonUsageExtractor extractor = new JsonUsageExtractor();
      Buffer first = Buffer.buffer(Arrays.copyOfRange(body, 0, split));
      Buffer second = Buffer.buffer(Arrays.copyOfRange(body, split, body.length));

      // Then bytes pass through untouched and the usage is the golden one
      assertThat(extractor.onChunk(first)).isSameAs(first);
      extractor.onChunk(second);
      assertThat(extractor.onEnd().length()).isZero();
      assertThat(extractor.usage()).as("split at %d", split).isEqualTo(expected);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"completion", "usage-first"})
  void findsUsageWhenTheBodyArrivesOneByteAtATime(String name) throws IOException {
    // Given
    byte[] body = resource("json/" + name + ".in.json");
    JsonUsageExtractor extractor = new JsonUsageExtractor();

    // When
    for (byte b : body) {
      extractor.feed(new byte[] {b});
    }

    // Then
    assertThat(extractor.usage()).isEqualTo(expected("json/" + name + ".out.json"));
  }
}
