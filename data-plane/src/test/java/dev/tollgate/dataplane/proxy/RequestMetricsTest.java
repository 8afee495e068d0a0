package dev.tollgate.dataplane.proxy;

import static dev.tollgate.dataplane.GatewayTestResource.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.GatewayTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Prometheus meters on /q/metrics, read as a scraper would. */
@QuarkusTest
@QuarkusTestResource(value = GatewayTestResource.class, restrictToAnnotatedClass = false)
class RequestMetricsTest {

  private static String metrics() {
    return given().get("/q/metrics").then().statusCode(200).extract().asString();
  }

  /** The value of the first sample whose line starts with {@code series}, 0 when absent. */
  private static double sample(String metrics, String series) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(series) + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$")
            .matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  /** The sum of every series of {@code name}, whatever their labels. */
  private static double total(String metrics, String name) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$")
            .matcher(metrics);
    double sum = 0;
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
    }
    return sum;
  }

  private static int chat(String model, String extra) {
    return given()
        .header("Authorization", "Bearer " + AUTH_SECRET)
        .contentType("application/json")
        .body(
            "{\"model\":\""
                + model
                + "\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"
                + extra
                + "}")
        .post("/v1/chat/completions")
        .statusCode();
  }

  @Test
  void countsRequestsByStatusModelAndGroupWithModelsOutsideTheConfigAsOther() {
    // When a routed request and a request for a model no group serves are answered
    assertThat(chat("gpt-4o-mini", "")).isEqualTo(200);
    assertThat(chat("made-up-model-" + System.nanoTime(), "")).isEqualTo(404);

    // Then both are counted, the unknown model under "other" rather than its own label
    String metrics = metrics();
    assertThat(
            sample(
                metrics,
                "tollgate_requests_total{group=\"stub\",model=\"gpt-4o-mini\",status=\"200\"}"))
        .isPositive();
    assertThat(
            sample(
                metrics, "tollgate_requests_total{group=\"none\",model=\"other\",status=\"404\"}"))
        .isPositive();
    assertThat(metrics).doesNotContain("made-up-model");
  }

  @Test
  void measuresGatewayOverheadWithoutTheUpstreamsWait() {
    // Given a warm gateway (the first requests of a JVM load classes on the request path, which
    // is the gateway's own time too, but not what this test is about), and its histograms
    chat("gpt-4o-mini", ",\"stream\":true");
    chat("gpt-4o-mini", "");
    String before = metrics();

    // When the upstream waits 300 ms before answering, and streams 5 chunks 50 ms apart
    assertThat(chat("gpt-4o-mini", ",\"x_stub\":{\"delay_ms\":300}")).isEqualTo(200);
    assertThat(chat("gpt-4o-mini", ",\"stream\":true,\"x_stub\":{\"chunk_delay_ms\":50}"))
        .isEqualTo(200);

    // Then the upstream latency holds those waits and the gateway's overhead does not
    String after = metrics();
    double upstream =
        total(after, "tollgate_upstream_latency_seconds_sum")
            - total(before, "tollgate_upstream_latency_seconds_sum");
    double overhead =
        sample(after, "tollgate_gateway_overhead_seconds_sum")
            - sample(before, "tollgate_gateway_overhead_seconds_sum");
    assertThat(
            sample(after, "tollgate_gateway_overhead_seconds_count")
                - sample(before, "tollgate_gateway_overhead_seconds_count"))
        .isEqualTo(2);
    assertThat(upstream).isGreaterThanOrEqualTo(0.5);
    assertThat(overhead).isPositive().isLessThan(0.1);
    assertThat(after).contains("tollgate_gateway_overhead_seconds_bucket{le=\"0.001\"}");
  }

  @Test
  void exposesFlushAndConfigLag() {
    // Given at least one flushed batch
    chat("gpt-4o-mini", "");

    // Then
    Eventually.within(
        Duration.ofSeconds(5),
        () -> assertThat(sample(metrics(), "tollgate_flush_batch_requests_count")).isPositive());
    String metrics = metrics();
    assertThat(sample(metrics, "tollgate_flush_unflushed_age_seconds")).isBetween(0.0, 5.0);
    assertThat(sample(metrics, "tollgate_flush_lag_seconds")).isBetween(0.0, 5.0);
    assertThat(sample(metrics, "tollgate_config_revision")).isPositive();
    assertThat(sample(metrics, "tollgate_config_last_update_age_seconds")).isBetween(0.0, 60.0);
    assertThat(metrics).contains("tollgate_flush_batch_bytes_sum");
  }
}
