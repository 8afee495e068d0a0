package dev.tollgate.bench.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.bench.stub.StubUpstream;
import io.vertx.core.Vertx;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Counts and error classes against the real stub; no speed is asserted here (that is bench/). */
class LoadRunTest {

  private static final String CHAT =
      "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

  private static Vertx vertx;
  private static int port;

  @BeforeAll
  static void startStub() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    vertx = Vertx.vertx();
    StubUpstream.deploy(vertx, port, 1, null)
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stopStub() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static LoadSpec spec(String body, String... more) throws Exception {
    String[] base = {
      "--url",
      "http://127.0.0.1:" + port + "/v1/chat/completions",
      "--body",
      body,
      "--warmup",
      "0.2",
      "--duration",
      "0.5",
      "--timeout",
      "5"
    };
    String[] args = new String[base.length + more.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(more, 0, args, base.length, more.length);
    return LoadSpec.parse(args);
  }

  @Test
  void fixedRateSendsExactlyTheScheduledRequestsAndMeasuresOnlyTheWindow() throws Exception {
    // When
    RunResult result = LoadRun.execute(spec(CHAT + "}", "--rate", "200"));

    // Then: 200/s for 0.2 s of warm-up + 0.5 s measured
    assertThat(result.sentTotal()).isEqualTo(140);
    assertThat(result.answeredTotal()).isEqualTo(140);
    assertThat(result.count()).isEqualTo(100);
    assertThat(result.measurements().errorCount()).isZero();
    assertThat(result.measurements().latency.getTotalCount()).isEqualTo(100);
    assertThat(result.toJson().getJsonObject("latency_ms").getDouble("p99")).isPositive();
  }

  @Test
  void countsNon2xxAnswersAsErrorsByStatus() throws Exception {
    // When
    RunResult result =
        LoadRun.execute(spec(CHAT + ",\"x_stub\":{\"status\":503}}", "--rate", "100"));

    // Then
    assertThat(result.count()).isEqualTo(50);
    assertThat(result.measurements().ok()).isZero();
    assertThat(result.measurements().errorsByKind()).containsEntry("status_503", 50L);
  }

  @Test
  void streamingResponsesAreCheckedForTheirLastEvent() throws Exception {
    // Given
    String stream = CHAT + ",\"stream\":true}";

    // When
    RunResult complete =
        LoadRun.execute(spec(stream, "--rate", "100", "--expect-tail", "data: [DONE]"));
    RunResult wrongTail =
        LoadRun.execute(spec(stream, "--rate", "100", "--expect-tail", "data: [NEVER]"));

    // Then
    assertThat(complete.measurements().errorCount()).isZero();
    assertThat(complete.measurements().ok()).isEqualTo(50);
    assertThat(wrongTail.measurements().errorsByKind()).containsEntry("bad_tail", 50L);
  }

  @Test
  void saturationKeepsEveryConnectionBusyUntilTheWindowEnds() throws Exception {
    // When
    RunResult result =
        LoadRun.execute(spec(CHAT + "}", "--mode", "saturation", "--connections", "4"));

    // Then
    assertThat(result.measurements().errorCount()).isZero();
    assertThat(result.count()).isPositive();
    assertThat(result.sentTotal()).isGreaterThan(result.count());
    assertThat(result.toJson().getDouble("ok_rps")).isPositive();
  }

  @Test
  void aRefusedConnectionIsAnIoError() throws Exception {
    // Given
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }

    // When
    RunResult result =
        LoadRun.execute(
            LoadSpec.parse(
                "--url",
                "http://127.0.0.1:" + closedPort + "/",
                "--rate",
                "50",
                "--warmup",
                "0",
                "--duration",
                "0.2",
                "--timeout",
                "2"));

    // Then
    assertThat(result.measurements().errorsByKind()).containsEntry("io", 10L);
    assertThat(result.answeredTotal()).isZero();
  }
}
