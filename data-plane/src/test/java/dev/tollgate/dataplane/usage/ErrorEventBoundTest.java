package dev.tollgate.dataplane.usage;

import static dev.tollgate.dataplane.GatewayTestResource.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.GatewayTestResource;
import dev.tollgate.proto.usage.v1.ErrorEvent;
import dev.tollgate.proto.usage.v1.FlushRequest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Failed requests reach the control plane as error events, at most {@code
 * tollgate.max-error-events-per-flush} per batch, the rest counted in the batch's errors_dropped;
 * every event says what failed without carrying a secret.
 */
@QuarkusTest
@TestProfile(ErrorEventBoundTest.ThreeEventsPerFlush.class)
@QuarkusTestResource(value = GatewayTestResource.class, restrictToAnnotatedClass = false)
class ErrorEventBoundTest {

  /** At most 3 events per batch; batches every 2 s, so a burst of failures lands in one. */
  public static class ThreeEventsPerFlush implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("tollgate.max-error-events-per-flush", "3", "tollgate.flush-interval", "2s");
    }
  }

  private static void chat(String model, String extra) {
    given()
        .header("Authorization", "Bearer " + ERRORS_SECRET)
        .contentType("application/json")
        .body(
            "{\"model\":\""
                + model
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"
                + extra
                + "}")
        .post("/v1/chat/completions");
  }

  @Test
  void describesAtMostTheBoundPerBatchAndCountsTheOverflowInTheFlush() {
    // Given 8 failures of 4 kinds in a burst
    chat("no-such-model", "");
    chat("unreachable-model", "");
    chat("refused-model", "");
    chat("gpt-4o-mini", ",\"x_stub\":{\"status\":500}");
    for (int i = 0; i < 4; i++) {
      chat("no-such-model", "");
    }

    // Then the flushes describe at most 3 each and count the rest as dropped: 8 in all
    Eventually.within(
        Duration.ofSeconds(10),
        () -> {
          List<FlushRequest> batches = controlPlane.appliedBatches();
          long described = 0;
          long dropped = 0;
          for (FlushRequest batch : batches) {
            assertThat(batch.getErrorsCount()).isLessThanOrEqualTo(3);
            described +=
                batch.getErrorsList().stream().filter(e -> e.getKeyId() == ERRORS_KEY).count();
            dropped += batch.getErrorsDropped();
          }
          assertThat(described + dropped).isEqualTo(8);
          assertThat(dropped).isPositive();
        });
    // And each described event says what failed, with no credential in it
    for (ErrorEvent event :
        controlPlane.appliedBatches().stream().flatMap(b -> b.getErrorsList().stream()).toList()) {
      assertThat(event.getErrorClass()).isNotBlank();
      assertThat(event.getMessage()).isNotBlank().hasSizeLessThanOrEqualTo(500);
      assertThat(event.getMessage()).doesNotContain(PROVIDER_SECRET, ERRORS_SECRET, "sk-wrong");
      assertThat(event.getRequestId()).isNotBlank();
      assertThat(event.getStatusCode()).isBetween(400, 599);
      assertThat(event.getOccurredAtUnixMs()).isPositive();
      assertThat(event.getModel()).isNotBlank();
    }
  }
}
