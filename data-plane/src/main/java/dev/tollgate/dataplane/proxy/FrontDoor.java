package dev.tollgate.dataplane.proxy;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * How a request is framed, checked before its body is read: the rules a proxy must hold so that it
 * and the upstream never disagree on where a request ends (RFC 9112 §6.1, §6.3) and so that a
 * client's promises cost nothing until kept.
 *
 * <p>Limits that Vert.x enforces itself are set as {@code quarkus.http.*} options (see
 * docs/configuration.md); these are the ones it leaves to the application.
 */
final class FrontDoor {

  private FrontDoor() {}

  /**
   * The refusal for a request whose framing the gateway will not serve, or null: both
   * Content-Length and Transfer-Encoding where both reach the gateway (a Transfer-Encoding other
   * than chunked; for chunked see {@link #closeAfterAnswer}), or an {@code Expect} other than
   * {@code 100-continue} (417, RFC 9110 §10.1.1).
   */
  static ClientError framing(HttpServerRequest request) {
    if (request.headers().contains(HttpHeaders.CONTENT_LENGTH)
        && request.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
      return ClientError.AMBIGUOUS_LENGTH;
    }
    String expect = request.getHeader(HttpHeaders.EXPECT);
    if (expect != null && !expect.trim().equalsIgnoreCase("100-continue")) {
      return ClientError.UNSUPPORTED_EXPECTATION;
    }
    return null;
  }

  /** Whether the body is sent chunked. */
  static boolean chunked(HttpServerRequest request) {
    return request.headers().contains(HttpHeaders.TRANSFER_ENCODING);
  }

  /**
   * Closes the connection once the answer to a chunked request is out. Vert.x's decoder (Netty's
   * HttpObjectDecoder) drops a Content-Length that comes with {@code Transfer-Encoding: chunked}
   * before the gateway sees the request, and reads the body as chunked (RFC 9112 §6.3 allows that);
   * RFC 9112 then requires the connection to be closed after the answer, so that a request smuggled
   * behind the body is never read. Since the gateway cannot tell the two apart, every chunked
   * request gets its connection closed: a cost only to the rare client that streams its request
   * body.
   */
  static void closeAfterAnswer(HttpServerRequest request, HttpServerResponse response) {
    response.putHeader(HttpHeaders.CONNECTION, "close");
    response.endHandler(v -> request.connection().close());
  }

  /** Whether the client waits for {@code 100 Continue} before it sends the body. */
  static boolean expectsContinue(HttpServerRequest request) {
    return request.getHeader(HttpHeaders.EXPECT) != null;
  }

  /** The declared Content-Length, or -1 when none (chunked) or unreadable. */
  static long declaredLength(HttpServerRequest request) {
    String value = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (value == null) {
      return -1;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
