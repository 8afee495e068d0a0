package dev.tollgate.controlplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * The control plane's text rule against the vectors both planes share (the proto module's
 * wire-text-vectors.json): it accepts an input exactly when the vectors say it is valid, and always
 * accepts what the data plane's cleaning makes of it.
 */
class WireTextTest {

  private static JsonNode vectors() throws Exception {
    try (InputStream in =
        WireTextTest.class.getClassLoader().getResourceAsStream("wire-text-vectors.json")) {
      assertThat(in).as("wire-text-vectors.json on the classpath").isNotNull();
      return new ObjectMapper().readTree(in);
    }
  }

  @Test
  void acceptsExactlyTheValidInputsAndEveryCleanedOne() throws Exception {
    JsonNode cases = vectors().get("cases");
    assertThat(cases.size()).isGreaterThan(10);
    for (JsonNode c : cases) {
      String name = c.get("name").asText();
      int max = c.get("max_code_points").asInt();
      assertThat(WireText.problem(c.get("input").asText(), 0, max) == null)
          .as(name)
          .isEqualTo(c.get("valid").asBoolean());
      assertThat(WireText.problem(c.get("clean").asText(), 0, max)).as(name).isNull();
    }
  }

  @Test
  void enforcesTheLimitsTheVectorsName() throws Exception {
    JsonNode limits = vectors().get("limits");
    assertThat(limits.get("dp_instance_id").asInt()).isEqualTo(WireText.MAX_INSTANCE_ID);
    assertThat(limits.get("model").asInt()).isEqualTo(WireText.MAX_MODEL);
    assertThat(limits.get("error_class").asInt()).isEqualTo(WireText.MAX_ERROR_CLASS);
    assertThat(limits.get("message").asInt()).isEqualTo(WireText.MAX_MESSAGE);
    assertThat(limits.get("request_id").asInt()).isEqualTo(WireText.MAX_REQUEST_ID);
  }

  @Test
  void namesTheOffendingCharacterWithoutQuotingTheText() {
    assertThat(WireText.problem("gpt\u0000x", 1, 200))
        .isEqualTo("contains the control character U+0000 at code point 3");
    assertThat(WireText.problem("a\ud800", 1, 200))
        .isEqualTo("contains an unpaired surrogate U+D800 at code point 1");
    assertThat(WireText.problem("", 1, 200)).isEqualTo("must be 1..200 code points, was 0");
  }
}
