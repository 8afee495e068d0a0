package dev.tollgate.dataplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * The data plane's cleaning against the vectors both planes share (the proto module's
 * wire-text-vectors.json): it turns every input into exactly the vectors' clean text, which the
 * control plane's test proves it accepts.
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
  void cleansAndCutsEveryVectorToItsCleanText() throws Exception {
    JsonNode cases = vectors().get("cases");
    assertThat(cases.size()).isGreaterThan(10);
    for (JsonNode c : cases) {
      String name = c.get("name").asText();
      int max = c.get("max_code_points").asInt();
      String clean = c.get("clean").asText();
      assertThat(WireText.clean(c.get("input").asText(), max)).as(name).isEqualTo(clean);
      assertThat(WireText.clean(clean, max)).as(name + " (again)").isEqualTo(clean);
      if (c.get("valid").asBoolean()) {
        assertThat(clean).as(name + " (valid input kept)").isEqualTo(c.get("input").asText());
      }
    }
  }

  @Test
  void cutsToTheLimitsTheVectorsName() throws Exception {
    JsonNode limits = vectors().get("limits");
    assertThat(limits.get("dp_instance_id").asInt()).isEqualTo(WireText.MAX_INSTANCE_ID);
    assertThat(limits.get("model").asInt()).isEqualTo(WireText.MAX_MODEL);
    assertThat(limits.get("error_class").asInt()).isEqualTo(WireText.MAX_ERROR_CLASS);
    assertThat(limits.get("message").asInt()).isEqualTo(WireText.MAX_MESSAGE);
    assertThat(limits.get("request_id").asInt()).isEqualTo(WireText.MAX_REQUEST_ID);
  }
}
