package dev.tollgate.dataplane.usage;

import static dev.tollgate.dataplane.GatewayTestResource.FLUSH_KEY;
import static dev.tollgate.dataplane.GatewayTestResource.FLUSH_SECRET;
import static dev.tollgate.dataplane.GatewayTestResource.controlPlane;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.GatewayTestResource;
import dev.tollgate.proto.usage.v1.FlushRequest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(value = GatewayTestResource.class, restrictToAnnotatedClass = false)
class UsageFlusherTest {

  private static void chat() {
    given()
        .header("Authorization", "Bearer " + FLUSH_SECRET)
        .contentType("application/json")
        .body(
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"abcdefgh\"}],\"max_tokens\":3}")
        .post("/v1/chat/completions")
        .then()
        .statusCode(200);
  }

  private static List<FlushRequest> attemptsWithFlushKey() {
    return controlPlane.flushAttempts().stream()
        .filter(b -> b.getKeyDeltasList().stream().anyMatch(d -> d.getKeyId() == FLUSH_KEY))
        .toList();
  }

  @Test
  void resendsTheSameBatchUntilAcknowledgedAndNothingIsCountedTwice() {
    // Given a quiet flusher (nothing left from earlier tests) and a CP that will refuse the next
    // Flush, then apply the one after but lose its acknowledgement
    Eventually.within(
        Duration.ofSeconds(5),
        () -> {
          int before = controlPlane.flushAttempts().size();
          sleepMs(500);
          assertThat(controlPlane.flushAttempts()).hasSize(before);
        });
    controlPlane.refuseFlushes(1);
    controlPlane.loseAcknowledgements(1);

    // When 4 requests are counted, then 3 more while that batch is still unacknowledged
    for (int i = 0; i < 4; i++) {
      chat();
    }
    Eventually.within(Duration.ofSeconds(5), () -> assertThat(attemptsWithFlushKey()).isNotEmpty());
    for (int i = 0; i < 3; i++) {
      chat();
    }

    // Then the CP ends up with exactly 7 requests (2 prompt + 3 completion tokens each)
    Eventually.within(
        Duration.ofSeconds(10),
        () -> assertThat(controlPlane.appliedFor(FLUSH_KEY).getRequests()).isEqualTo(7));
    sleepMs(600);
    assertThat(controlPlane.appliedFor(FLUSH_KEY).getRequests()).isEqualTo(7);
    assertThat(controlPlane.appliedFor(FLUSH_KEY).getTotalTokens()).isEqualTo(35);

    // And the first batch was sent three times, identical each time, before the next sequence
    Map<Long, List<FlushRequest>> bySequence =
        attemptsWithFlushKey().stream().collect(Collectors.groupingBy(FlushRequest::getSequence));
    List<FlushRequest> first = bySequence.get(attemptsWithFlushKey().get(0).getSequence());
    assertThat(first).hasSize(3);
    assertThat(first).allSatisfy(attempt -> assertThat(attempt).isEqualTo(first.get(0)));
    assertThat(first.get(0).getKeyDeltasList())
        .filteredOn(d -> d.getKeyId() == FLUSH_KEY)
        .singleElement()
        .satisfies(d -> assertThat(d.getCounters().getRequests()).isBetween(1L, 4L));
    assertThat(bySequence).hasSizeGreaterThanOrEqualTo(2);
  }

  private static void sleepMs(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
