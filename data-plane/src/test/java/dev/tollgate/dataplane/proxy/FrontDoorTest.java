package dev.tollgate.dataplane.proxy;

import static dev.tollgate.dataplane.GatewayTestResource.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.GatewayTestResource;
import dev.tollgate.proto.usage.v1.Counters;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.core.MultiMap;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The HTTP front door, spoken to over raw sockets so that each probe is sent byte for byte as an
 * attacker would: framing, sizes, slow bodies, Expect, and what reaches the upstream. Each refusal
 * is OpenAI-shaped with an x-request-id, and counted on the key (under the "(none)" model).
 */
@QuarkusTest
@QuarkusTestResource(value = GatewayTestResource.class, restrictToAnnotatedClass = false)
class FrontDoorTest {

  private static final String BODY =
      "{\"model\":\"gpt-4o-mini\",\"prompt\":\"hi\",\"max_tokens\":1}";

  /** What came back on a connection: the raw bytes, and whether the server closed it. */
  private record Raw(String text, boolean closed) {
    int status() {
      return Integer.parseInt(text.substring(9, 12));
    }

    String header(String name) {
      for (String line : text.substring(0, text.indexOf("\r\n\r\n")).split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
          return line.substring(colon + 1).trim();
        }
      }
      return null;
    }

    String body() {
      return text.substring(text.indexOf("\r\n\r\n") + 4);
    }
  }

  private static Socket connect() throws IOException {
    Socket socket = new Socket("127.0.0.1", RestAssured.port);
    socket.setSoTimeout(5000);
    return socket;
  }

  private static String head(String method, String path, String... headers) {
    StringBuilder out = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: gateway\r\n");
    out.append("Authorization: Bearer ").append(FRONT_DOOR_SECRET).append("\r\n");
    out.append("Content-Type: application/json\r\n");
    for (String header : headers) {
      out.append(header).append("\r\n");
    }
    return out.append("\r\n").toString();
  }

  /** Reads until the server closes or is quiet for {@code quietMs} after a complete answer. */
  private static Raw read(Socket socket, long quietMs) throws IOException {
    socket.setSoTimeout((int) quietMs);
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    boolean closed = false;
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      int n;
      try {
        n = in.read(buffer);
      } catch (SocketTimeoutException quiet) {
        if (got.size() > 0) {
          break;
        }
        continue;
      } catch (IOException reset) {
        closed = true;
        break;
      }
      if (n < 0) {
        closed = true;
        break;
      }
      got.write(buffer, 0, n);
    }
    return new Raw(got.toString(StandardCharsets.UTF_8), closed);
  }

  private static Raw exchange(String request, long quietMs) throws IOException {
    try (Socket socket = connect()) {
      socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
      return read(socket, quietMs);
    }
  }

  private static void assertOpenAiError(Raw raw, int status, String code) {
    assertThat(raw.status()).as(raw.text()).isEqualTo(status);
    assertThat(raw.header("x-request-id")).as(raw.text()).isNotBlank();
    assertThat(raw.header("content-type")).startsWith("application/json");
    assertThat(raw.body()).contains("\"code\":\"" + code + "\"").contains("\"message\":");
  }

  private static void assertFailuresCounted(Counters before, long failures) {
    Eventually.within(
        Duration.ofSeconds(5),
        () -> {
          Counters now = controlPlane.appliedFor(FRONT_DOOR_KEY);
          assertThat(now.getFailureRequests() - before.getFailureRequests()).isEqualTo(failures);
        });
  }

  @Test
  void refusesADeclaredContentLengthOverTheLimitWithTheDocumented413BeforeAnyBodyByte()
      throws IOException {
    // Given the counters of the key
    Counters before = controlPlane.settledFor(FRONT_DOOR_KEY, Duration.ofMillis(400));

    // When a client declares 20 MiB (over Quarkus' own 10 MiB default too) and sends nothing
    Raw big = exchange(head("POST", "/v1/chat/completions", "Content-Length: 20971520"), 1000);
    // And another declares just over the 64 KiB limit of the tests
    Raw over = exchange(head("POST", "/v1/chat/completions", "Content-Length: 65537"), 1000);

    // Then both get the OpenAI-shaped 413 with a request id, the connection closed, and counted
    assertOpenAiError(big, 413, "request_too_large");
    assertThat(big.closed()).isTrue();
    assertOpenAiError(over, 413, "request_too_large");
    assertFailuresCounted(before, 2);
  }

  @Test
  void refusesAChunkedBodyOverTheLimitWithTheSame413() throws IOException {
    // When a chunked body grows past 64 KiB
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      out.write(
          head("POST", "/v1/chat/completions", "Transfer-Encoding: chunked")
              .getBytes(StandardCharsets.UTF_8));
      String chunk = "x".repeat(16 * 1024);
      try {
        for (int i = 0; i < 6; i++) {
          out.write((Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n").getBytes());
        }
        out.flush();
      } catch (IOException closedEarly) {
        // The gateway may close before the last chunks are written.
      }
      Raw raw = read(socket, 1000);

      // Then
      assertOpenAiError(raw, 413, "request_too_large");
      assertThat(raw.closed()).isTrue();
    }
  }

  @Test
  void readsABodyWithBothChunkedAndContentLengthAsChunkedAndClosesTheConnectionAfterIt()
      throws IOException {
    // When a request carries both framings (a request-smuggling probe) and a second request is
    // hidden behind its chunked body, where a Content-Length reader would look for the next one
    String smuggled = head("POST", "/v1/chat/completions", "Content-Length: 2") + "{}";
    String body = "5\r\nhello\r\n0\r\n\r\n";
    Raw raw =
        exchange(
            head(
                    "POST",
                    "/v1/chat/completions",
                    "Content-Length: " + body.length(),
                    "Transfer-Encoding: chunked")
                + body
                + smuggled,
            1000);

    // Then the body is read as chunked ("hello" is no JSON), the answer says Connection: close,
    // the connection is closed, and the request behind it is never read
    assertOpenAiError(raw, 400, "invalid_json");
    assertThat(raw.header("connection")).isEqualToIgnoringCase("close");
    assertThat(raw.closed()).isTrue();
    assertThat(raw.text().split("HTTP/1.1 ", -1)).hasSize(2);
  }

  @Test
  void refusesContentLengthWithAnotherTransferEncodingWith400AndClosesTheConnection()
      throws IOException {
    // When both framings reach the gateway (a transfer coding other than chunked)
    Raw raw =
        exchange(
            head(
                    "POST",
                    "/v1/chat/completions",
                    "Content-Length: " + BODY.length(),
                    "Transfer-Encoding: identity")
                + BODY,
            1000);

    // Then it is refused with 400 and the connection closed
    assertOpenAiError(raw, 400, "ambiguous_length");
    assertThat(raw.closed()).isTrue();
  }

  @Test
  void answers100ContinueItselfAndDoesNotForwardExpect() throws IOException {
    // Given a client that waits for 100 Continue before its body
    String requestId = "expect-" + UUID.randomUUID();
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      out.write(
          head(
                  "POST",
                  "/v1/completions",
                  "Content-Length: " + BODY.length(),
                  "Expect: 100-continue",
                  "x-request-id: " + requestId)
              .getBytes(StandardCharsets.UTF_8));
      out.flush();

      // When the gateway answers 100 Continue
      Raw interim = read(socket, 1000);
      assertThat(interim.text()).startsWith("HTTP/1.1 100 Continue");
      out.write(BODY.getBytes(StandardCharsets.UTF_8));
      out.flush();

      // Then the request is served, and the upstream never saw Expect
      Raw answer = read(socket, 1000);
      assertThat(answer.status()).as(answer.text()).isEqualTo(200);
    }
    assertThat(upstreamJournal.headers(requestId).contains("Expect")).isFalse();
  }

  @Test
  void refusesAnExpectationOtherThan100ContinueWith417() throws IOException {
    Raw raw =
        exchange(
            head(
                    "POST",
                    "/v1/completions",
                    "Content-Length: " + BODY.length(),
                    "Expect: something-else")
                + BODY,
            1000);

    assertOpenAiError(raw, 417, "expectation_failed");
  }

  @Test
  void sendsNoCookieForwardingHeadersOrAzureApiKeyUpstream() throws IOException {
    // When a client sends its cookies, forwarding headers and an Azure-style api-key
    String requestId = "strip-" + UUID.randomUUID();
    Raw raw =
        exchange(
            head(
                    "POST",
                    "/v1/completions",
                    "Content-Length: " + BODY.length(),
                    "x-request-id: " + requestId,
                    "Cookie: session=secret",
                    "X-Forwarded-For: 10.1.2.3",
                    "X-Forwarded-Host: internal.example",
                    "X-Forwarded-Proto: http",
                    "Forwarded: for=10.1.2.3",
                    "X-Real-IP: 10.1.2.3",
                    "api-key: client-azure-key",
                    "X-End-To-End: kept")
                + BODY,
            1000);

    // Then the request is served and none of them reached the upstream
    assertThat(raw.status()).as(raw.text()).isEqualTo(200);
    MultiMap upstream = upstreamJournal.headers(requestId);
    assertThat(upstream.get("X-End-To-End")).isEqualTo("kept");
    for (String name :
        new String[] {
          "Cookie",
          "X-Forwarded-For",
          "X-Forwarded-Host",
          "X-Forwarded-Proto",
          "Forwarded",
          "X-Real-IP",
          "api-key"
        }) {
      assertThat(upstream.contains(name)).as(name).isFalse();
    }
  }

  @Test
  void refusesABodyNamingTheModelTwiceWith400() throws IOException {
    // Given the counters of the key
    Counters before = controlPlane.settledFor(FRONT_DOOR_KEY, Duration.ofMillis(400));
    String body = "{\"model\":\"gpt-4o-mini\",\"prompt\":\"hi\",\"model\":\"gpt-4o\"}";

    // When
    Raw raw =
        exchange(head("POST", "/v1/completions", "Content-Length: " + body.length()) + body, 1000);

    // Then
    assertOpenAiError(raw, 400, "duplicate_member");
    assertThat(raw.body()).contains("`model`");
    assertFailuresCounted(before, 1);
  }

  @Test
  void nestedModelMembersAreNotTakenForTheBodysOwn() throws IOException {
    String body = "{\"model\":{\"model\":\"x\"},\"prompt\":\"hi\"}";

    Raw raw =
        exchange(head("POST", "/v1/completions", "Content-Length: " + body.length()) + body, 1000);

    assertOpenAiError(raw, 400, "model_required");
  }

  @Test
  void replacesARequestIdWithControlCharactersInsteadOfEchoingIt() throws IOException {
    // When the client's request id carries a tab (legal in a header value, not in an id)
    Raw tab =
        exchange(
            head(
                    "POST",
                    "/v1/completions",
                    "Content-Length: " + BODY.length(),
                    "x-request-id: evil\tid")
                + BODY,
            1000);
    // And another carries a control byte, which Vert.x refuses before the gateway sees it
    Raw control =
        exchange(
            head(
                    "POST",
                    "/v1/completions",
                    "Content-Length: " + BODY.length(),
                    "x-request-id: evil\u0001id")
                + BODY,
            1000);

    // Then the first is answered with an id of the gateway's own, and neither echoes the value
    assertThat(tab.status()).as(tab.text()).isEqualTo(200);
    assertThat(tab.header("x-request-id")).matches("[0-9a-f]{32}");
    assertThat(control.text()).isNotEmpty().doesNotContain("evil");
  }

  @Test
  void closesAConnectionWhoseBodyTricklesPastTheBodyTimeoutWith408() throws IOException {
    // Given the counters of the key, and a body timeout of 1.5 s in the tests
    Counters before = controlPlane.settledFor(FRONT_DOOR_KEY, Duration.ofMillis(400));
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      out.write(
          head("POST", "/v1/completions", "Content-Length: " + BODY.length())
              .getBytes(StandardCharsets.UTF_8));
      // When the body trickles one byte every 200 ms (never idle, never complete in time)
      long start = System.nanoTime();
      Raw raw = null;
      for (int i = 0; i < BODY.length() - 1; i++) {
        try {
          out.write(BODY.charAt(i));
          out.flush();
        } catch (IOException closed) {
          break;
        }
        socket.setSoTimeout(200);
        try {
          int first = socket.getInputStream().read();
          if (first >= 0) {
            raw = read(socket, 500);
            raw = new Raw((char) first + raw.text(), raw.closed());
          }
          break;
        } catch (SocketTimeoutException stillWaiting) {
          // the gateway is still reading
        }
      }
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;

      // Then it is answered 408 and closed within the timeout (plus scheduling slack)
      assertThat(raw).isNotNull();
      assertOpenAiError(raw, 408, "request_timeout");
      assertThat(raw.closed()).isTrue();
      assertThat(elapsedMs).isBetween(1400L, 4000L);
    }
    assertFailuresCounted(before, 1);
  }
}
