package dev.tollgate.dataplane.upstream;

import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.proto.config.v1.ProviderKey;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.ConnectException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * Calls upstream providers with one pooled, keep-alive Vert.x HTTP client.
 *
 * <p>Timeouts: connect ({@code tollgate.upstream.connect-timeout}), then first byte (Vert.x's
 * request timeout, armed when the request is sent and cancelled by Vert.x when the response headers
 * arrive), then idle between response chunks ({@link #idleTimeoutMs}, enforced by the relay). All
 * callbacks run on the calling event loop.
 */
@ApplicationScoped
public class UpstreamClient {

  /**
   * Request headers never forwarded upstream: hop-by-hop ones (RFC 9110 §7.6.1), the client's
   * credentials and account selectors (the provider key replaces them; {@code api-key} is Azure
   * OpenAI's), the client's cookies, Host and Content-Length (set for the upstream), Expect (the
   * gateway answers it and sends the whole body), the forwarding headers (the upstream is told
   * nothing about the client's network: {@code Forwarded}, {@code X-Forwarded-*}, {@code
   * X-Real-IP}), and Accept-Encoding (usage is read from the body, so it must arrive uncompressed).
   * Headers the client's Connection header names are hop-by-hop too ({@link #isHopByHop}).
   */
  private static final Set<String> NOT_FORWARDED =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-authenticate",
          "proxy-authorization",
          "proxy-connection",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "authorization",
          "x-api-key",
          "api-key",
          "cookie",
          "expect",
          "forwarded",
          "x-real-ip",
          "openai-organization",
          "openai-project",
          "host",
          "content-length",
          "accept-encoding",
          "x-request-id");

  /** Sent to Anthropic when the client named no version; the one its SDKs pin today. */
  static final String DEFAULT_ANTHROPIC_VERSION = "2023-06-01";

  private static final String PLATFORM_ANTHROPIC = "anthropic";

  private final HttpClient client;
  private final long connectTimeoutMs;
  private final long firstByteTimeoutMs;
  private final long idleTimeoutMs;

  UpstreamClient(Vertx vertx, DataPlaneConfig config) {
    DataPlaneConfig.Upstream settings = config.upstream();
    this.connectTimeoutMs = settings.connectTimeout().toMillis();
    this.firstByteTimeoutMs = settings.firstByteTimeout().toMillis();
    this.idleTimeoutMs = settings.idleTimeout().toMillis();
    this.client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_1_1)
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setDecompressionSupported(false)
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeoutMs)),
            new PoolOptions().setHttp1MaxSize(settings.maxConnectionsPerHost()));
  }

  @PreDestroy
  void close() {
    client.close();
  }

  /** Opens a POST to {@code base_url + path} (a pooled connection, or a new one). */
  public Future<HttpClientRequest> open(ProviderKey providerKey, String path) {
    String base = providerKey.getBaseUrl();
    String uri = base.endsWith("/") ? base.substring(0, base.length() - 1) + path : base + path;
    RequestOptions options;
    try {
      options =
          new RequestOptions()
              .setMethod(HttpMethod.POST)
              .setAbsoluteURI(uri)
              .setConnectTimeout(connectTimeoutMs);
    } catch (RuntimeException badUrl) {
      return Future.failedFuture(new ConnectException("invalid base_url of provider key"));
    }
    return client.request(options);
  }

  /**
   * Sends the body with the client's forwardable headers, the provider key's credential (as a
   * bearer token, or as {@code x-api-key} with an {@code anthropic-version} for groups of platform
   * {@code anthropic}) and the request id, and arms the first-byte timeout.
   */
  public Future<HttpClientResponse> send(
      HttpClientRequest request,
      ProviderKey providerKey,
      String platform,
      MultiMap clientHeaders,
      String requestId,
      Buffer body) {
    MultiMap headers = request.headers();
    String connection = clientHeaders.get(HttpHeaders.CONNECTION);
    for (Map.Entry<String, String> header : clientHeaders) {
      String name = header.getKey().toLowerCase();
      if (!NOT_FORWARDED.contains(name)
          && !name.startsWith("x-forwarded-")
          && !isHopByHop(connection, name)) {
        headers.add(header.getKey(), header.getValue());
      }
    }
    if (PLATFORM_ANTHROPIC.equals(platform)) {
      headers.set("x-api-key", providerKey.getSecret());
      if (!headers.contains("anthropic-version")) {
        headers.set("anthropic-version", DEFAULT_ANTHROPIC_VERSION);
      }
    } else {
      headers.set(HttpHeaders.AUTHORIZATION, "Bearer " + providerKey.getSecret());
    }
    headers.set("x-request-id", requestId);
    request.idleTimeout(firstByteTimeoutMs);
    return request.send(body);
  }

  /**
   * The longest silence between response chunks. Enforced by the caller: re-arming Vert.x's own
   * request timeout once the response has started leaves a timer behind that later closes the
   * pooled connection under whichever request uses it next (seen with Vert.x 4.5.26).
   */
  public long idleTimeoutMs() {
    return idleTimeoutMs;
  }

  /**
   * Whether {@code lowerCaseName} is listed in a Connection header's value (RFC 9110 §7.6.1: such
   * headers are meant for the next hop only).
   */
  public static boolean isHopByHop(String connection, String lowerCaseName) {
    if (connection == null) {
      return false;
    }
    for (String token : connection.split(",")) {
      if (token.trim().equalsIgnoreCase(lowerCaseName)) {
        return true;
      }
    }
    return false;
  }

  /** Whether a failure is a timeout (first byte or idle). */
  public static boolean isTimeout(Throwable failure) {
    return failure instanceof TimeoutException;
  }
}
