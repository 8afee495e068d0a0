package dev.tollgate.dataplane.proxy;

import static dev.tollgate.dataplane.GatewayTestResource.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.GatewayTestResource;
import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.ErrorEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Streams relayed with bounded memory, and streams cut by the client still counted. */
@QuarkusTest
@QuarkusTestResource(value = GatewayTestResource.class, restrictToAnnotatedClass = false)
class StreamingTest {

  private static final long MIB = 1024 * 1024;

  @TestHTTPResource("/v1/chat/completions")
  URI chatCompletions;

  @Test
  void relaysA64MegabyteStreamToAReaderThatStallsWithoutBufferingIt() throws Exception {
    // Given a streamed answer of 65,536 tokens of 1,000 characters (about 72 MB on the wire)
    String requestId = "big-stream-" + UUID.randomUUID();
    String body =
        "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"max_tokens\":65536,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"big\"}],"
            + "\"x_stub\":{\"token_chars\":1000}}";
    HttpRequest request =
        HttpRequest.newBuilder(chatCompletions)
            .header("Authorization", "Bearer " + BIG_STREAM_SECRET)
            .header("Content-Type", "application/json")
            .header("x-request-id", requestId)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    HttpResponse<InputStream> response =
        HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);

    try (InputStream in = response.body()) {
      // When the client reads 8 MiB, then stops reading for a while
      long read = skip(in, 8 * MIB);
      long producedWhileStalled = producedOnceSettled(requestId);

      // Then the upstream was held back: what it produced beyond what the client read fits in the
      // socket and write buffers between them (a few MiB each on loopback), not in the gateway's
      // memory. Measured at the source rather than as heap: the stub and the client share this
      // JVM's heap, and Netty's buffers are off-heap.
      assertThat(producedWhileStalled - read).isLessThan(32 * MIB);

      // And the whole stream still arrives once the client reads again
      read += skip(in, Long.MAX_VALUE);
      assertThat(read).isGreaterThan(64 * MIB);
    }
    Eventually.within(
        Duration.ofSeconds(5),
        () -> {
          Counters counted = controlPlane.appliedFor(BIG_STREAM_KEY);
          assertThat(counted.getSuccessRequests()).isEqualTo(1);
          assertThat(counted.getCompletionTokens()).isEqualTo(65536);
          assertThat(counted.getEstimatedRequests()).isZero();
        });
  }

  @Test
  void cancelsTheUpstreamAndCountsEstimatedTokensWhenTheClientDisconnectsMidStream()
      throws Exception {
    // Given a slow stream of 1,000 tokens the client will not wait for
    String requestId = "disconnect-" + UUID.randomUUID();
    String body =
        "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"max_tokens\":1000,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a long story.\"}],"
            + "\"x_stub\":{\"chunk_delay_ms\":20}}";
    byte[] bodyBytes = body.getBytes(StandardCharsets.UTF_8);

    // When it reads a few events and closes the connection
    try (Socket socket = new Socket(chatCompletions.getHost(), chatCompletions.getPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v1/chat/completions HTTP/1.1\r\n"
                  + "Host: localhost\r\n"
                  + "Authorization: Bearer "
                  + DISCONNECT_SECRET
                  + "\r\n"
                  + "x-request-id: "
                  + requestId
                  + "\r\n"
                  + "Content-Type: application/json\r\n"
                  + "Content-Length: "
                  + bodyBytes.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(bodyBytes);
      out.flush();
      InputStream in = socket.getInputStream();
      String seen = "";
      byte[] buffer = new byte[4096];
      while (countOf(seen, "\"delta\"") < 5) {
        int n = in.read(buffer);
        assertThat(n).isPositive();
        seen += new String(buffer, 0, n, StandardCharsets.UTF_8);
      }
    }

    // Then the upstream request is cancelled rather than run to its end
    Eventually.within(
        Duration.ofSeconds(5), () -> assertThat(upstreamJournal.cancelled(requestId)).isTrue());
    assertThat(upstreamJournal.completed(requestId)).isFalse();
    // And the request is counted as failed, with tokens estimated and marked so: the input from
    // the request body (bytes / 4, rounded up), the output from the text relayed before the cut
    Eventually.within(
        Duration.ofSeconds(5),
        () -> {
          Counters counted = controlPlane.appliedFor(DISCONNECT_KEY);
          assertThat(counted.getRequests()).isEqualTo(1);
          assertThat(counted.getFailureRequests()).isEqualTo(1);
          assertThat(counted.getEstimatedRequests()).isEqualTo(1);
          assertThat(counted.getPromptTokens()).isEqualTo((bodyBytes.length + 3) / 4);
          // At least the 5 tokens the client saw, far fewer than the 1,000 it asked for.
          assertThat(counted.getCompletionTokens()).isBetween(4L, 250L);
          assertThat(counted.getTotalTokens())
              .isEqualTo(counted.getPromptTokens() + counted.getCompletionTokens());
        });
    ErrorEvent event =
        controlPlane.appliedBatches().stream()
            .flatMap(b -> b.getErrorsList().stream())
            .filter(e -> e.getRequestId().equals(requestId))
            .findFirst()
            .orElseThrow();
    assertThat(event.getErrorClass()).isEqualTo("client_disconnected");
    assertThat(event.getStatusCode()).isEqualTo(200);
    assertThat(event.getProviderKeyId()).isEqualTo(STUB_PROVIDER_KEY);
  }

  /**
   * What the stub has produced for the request once that stops growing (the reader is stalled, so
   * with back-pressure it stops when the buffers in between are full; without, only at the end).
   */
  private static long producedOnceSettled(String requestId) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    long produced = upstreamJournal.streamedBytes(requestId);
    while (System.nanoTime() < deadline) {
      Thread.sleep(500);
      long now = upstreamJournal.streamedBytes(requestId);
      if (now == produced) {
        break;
      }
      produced = now;
    }
    return produced;
  }

  private static int countOf(String text, String needle) {
    int count = 0;
    for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
      count++;
    }
    return count;
  }

  private static long skip(InputStream in, long limit) throws java.io.IOException {
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    while (total < limit) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - total));
      if (n < 0) {
        break;
      }
      total += n;
    }
    return total;
  }
}
