package dev.tollgate.dataplane.proxy;

import dev.tollgate.dataplane.routing.UpstreamLease;
import dev.tollgate.dataplane.upstream.JsonUsageExtractor;
import dev.tollgate.dataplane.upstream.SseUsageExtractor;
import dev.tollgate.dataplane.upstream.TokenUsage;
import dev.tollgate.dataplane.upstream.UpstreamClient;
import dev.tollgate.dataplane.upstream.UsageExtractor;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * Streams an upstream response to the client as it arrives, reading usage on the way, with
 * back-pressure: when the client's write queue is full the upstream is paused until it drains, so
 * memory per request stays bounded whatever the response size.
 */
final class ResponseRelay {

  private static final Logger LOG = Logger.getLogger(ResponseRelay.class);

  /** Response headers not copied to the client (hop-by-hop, and the provider's account). */
  private static final Set<String> NOT_RELAYED =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-authenticate",
          "proxy-connection",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "x-request-id",
          "openai-organization",
          "openai-project",
          "set-cookie");

  private static final int MAX_ERROR_MESSAGE_BYTES = 500;

  private final Exchange exchange;
  private final HttpClientResponse upstream;
  private final UsageExtractor usage;
  private final int status;
  private final long idleTimeoutMs;
  private final UpstreamLease lease;
  private Buffer errorHead;
  private long lastChunkNanos;
  private boolean paused;
  private long idleTimer = -1;

  private ResponseRelay(
      Exchange exchange,
      HttpClientResponse upstream,
      UsageExtractor usage,
      long idleTimeoutMs,
      UpstreamLease lease) {
    this.exchange = exchange;
    this.lease = lease;
    this.upstream = upstream;
    this.usage = usage;
    this.status = upstream.statusCode();
    this.idleTimeoutMs = idleTimeoutMs;
  }

  /**
   * Relays {@code upstream} to the exchange's client; finishes the exchange when done. A break-off
   * after the answer started is reported to {@code lease} (null when the try holds none) as a
   * circuit error of its provider key.
   */
  static void relay(
      Exchange exchange,
      HttpClientResponse upstream,
      ChatRequest request,
      long idleTimeoutMs,
      UpstreamLease lease) {
    int status = upstream.statusCode();
    boolean ok = status >= 200 && status < 300;
    UsageExtractor usage = null;
    if (ok) {
      String contentType = upstream.getHeader(HttpHeaders.CONTENT_TYPE);
      boolean sse = contentType != null && contentType.startsWith("text/event-stream");
      usage =
          sse || (request.stream() && contentType == null)
              ? new SseUsageExtractor(request.hideUsage())
              : new JsonUsageExtractor();
    }
    exchange.relaying(usage);
    new ResponseRelay(exchange, upstream, usage, idleTimeoutMs, lease).start();
  }

  private void start() {
    HttpServerResponse response = exchange.response;
    response.setStatusCode(status);
    boolean rewrites = usage instanceof SseUsageExtractor;
    MultiMap headers = response.headers();
    String connection = upstream.getHeader(HttpHeaders.CONNECTION);
    for (Map.Entry<String, String> header : upstream.headers()) {
      String name = header.getKey().toLowerCase();
      if (!NOT_RELAYED.contains(name)
          && !UpstreamClient.isHopByHop(connection, name)
          && !(rewrites && name.equals("content-length"))) {
        headers.add(header.getKey(), header.getValue());
      }
    }
    if (!headers.contains(HttpHeaders.CONTENT_LENGTH)) {
      response.setChunked(true);
    }
    if (usage == null) {
      errorHead = Buffer.buffer();
    }
    upstream.handler(this::onChunk);
    upstream.endHandler(v -> onEnd());
    // Idle timeouts and resets after the response started are reported here (the request has
    // already ended, so its own exception handler can no longer be set).
    upstream.exceptionHandler(this::onFailure);
    lastChunkNanos = System.nanoTime();
    idleTimer = exchange.ctx.vertx().setTimer(idleTimeoutMs, this::checkIdle);
  }

  /**
   * One timer per response, re-armed for the remaining time rather than per chunk. Time spent
   * paused for a slow client is not the upstream's silence.
   */
  private void checkIdle(long timerId) {
    idleTimer = -1;
    if (exchange.finished()) {
      return;
    }
    long silentMs = (System.nanoTime() - lastChunkNanos) / 1_000_000L;
    if (paused || silentMs < idleTimeoutMs) {
      long remaining = paused ? idleTimeoutMs : idleTimeoutMs - silentMs;
      idleTimer = exchange.ctx.vertx().setTimer(Math.max(1, remaining), this::checkIdle);
      return;
    }
    // Finish as a timeout first: resetting reports a stream reset to onFailure synchronously.
    onFailure(new TimeoutException("no response bytes for " + idleTimeoutMs + " ms"));
    exchange.upstreamRequest().reset();
  }

  private void stopIdleTimer() {
    if (idleTimer != -1) {
      exchange.ctx.vertx().cancelTimer(idleTimer);
      idleTimer = -1;
    }
  }

  private void onChunk(Buffer chunk) {
    if (exchange.finished()) {
      return;
    }
    long arrivedAt = System.nanoTime();
    lastChunkNanos = arrivedAt;
    Buffer out = usage == null ? chunk : usage.onChunk(chunk);
    if (errorHead != null && errorHead.length() < MAX_ERROR_MESSAGE_BYTES) {
      errorHead.appendBuffer(
          chunk, 0, Math.min(chunk.length(), MAX_ERROR_MESSAGE_BYTES - errorHead.length()));
    }
    if (out.length() > 0) {
      HttpServerResponse response = exchange.response;
      response.write(out);
      if (response.writeQueueFull()) {
        paused = true;
        upstream.pause();
        response.drainHandler(
            v -> {
              paused = false;
              lastChunkNanos = System.nanoTime();
              upstream.resume();
            });
      }
    }
    exchange.overheadSince(arrivedAt);
  }

  private void onEnd() {
    stopIdleTimer();
    if (exchange.finished()) {
      return;
    }
    // Counted before the client's response ends (see Exchange#fail for why).
    if (usage == null) {
      exchange.finish(
          status, false, TokenUsage.NONE, "upstream_" + status, UpstreamErrors.message(errorHead));
      exchange.response.end();
      return;
    }
    Buffer tail = usage.onEnd();
    exchange.finish(status, true, usage.usage(), null, null);
    if (tail.length() > 0) {
      exchange.response.end(tail);
    } else {
      exchange.response.end();
    }
  }

  private void onFailure(Throwable failure) {
    stopIdleTimer();
    if (exchange.finished()) {
      return;
    }
    boolean timeout = UpstreamClient.isTimeout(failure);
    if (lease != null) {
      lease.failedMidStream(failure);
    }
    LOG.debugf(
        "Request %s: provider key %d failed mid-response: %s",
        exchange.requestId, exchange.providerKeyId(), failure);
    ClientError error = timeout ? ClientError.UPSTREAM_IDLE_TIMEOUT : ClientError.UPSTREAM_RESET;
    if (exchange.response.headWritten()) {
      exchange.abort(
          status, error.code, error.message(), usage == null ? TokenUsage.NONE : usage.usage());
    } else {
      exchange.refuse(error);
    }
  }
}
