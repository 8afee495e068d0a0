package dev.tollgate.dataplane.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.Eventually;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Probes of a data plane process: liveness never depends on the control plane, readiness waits for
 * the configuration, and requests are refused as not ready (503) until then.
 */
class DataPlaneHealthIT {

  private final HttpClient http = HttpClient.newHttpClient();

  private int status(int port, String path) {
    try {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
              .timeout(Duration.ofSeconds(2))
              .build();
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception notListening) {
      return -1;
    }
  }

  @Test
  void isLiveButNotReadyWhileTheControlPlaneIsDownAndReadyOnceItServesTheConfig() throws Exception {
    try (GatewayProcesses gateway = new GatewayProcesses()) {
      // Given a data plane whose control plane is not running
      gateway.createDatabase();
      int port = GatewayProcesses.freePort();
      gateway.launchDataPlane(port, Duration.ofSeconds(1), Map.of());

      // Then it is live, but not ready, and refuses requests as not ready
      Eventually.within(
          Duration.ofSeconds(60), () -> assertThat(status(port, "/q/health/live")).isEqualTo(200));
      assertThat(status(port, "/q/health/ready")).isEqualTo(503);
      HttpResponse<String> refused =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models"))
                  .header("Authorization", "Bearer tg-anything")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.body()).contains("not_ready");

      // When the control plane comes up
      gateway.startControlPlane();

      // Then the data plane loads its configuration and becomes ready, still live
      Eventually.within(
          Duration.ofSeconds(30), () -> assertThat(status(port, "/q/health/ready")).isEqualTo(200));
      assertThat(status(port, "/q/health/live")).isEqualTo(200);
    }
  }
}
