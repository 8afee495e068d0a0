package dev.tollgate.bench.loadgen;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One event loop's HTTP/1.1 client to the target: a pool of keep-alive connections (no pipelining),
 * the request prepared once. {@link #send} must run on {@link #context()}; completions run there
 * too.
 */
final class TargetClient {

  /** How one request ended; the times are {@link System#nanoTime()} readings. */
  static final class Exchange {
    final long originNanos;
    long sentNanos;
    long headersNanos;
    long endNanos;
    long bytes;
    int status;

    /** Null when the request succeeded (2xx, expected tail); else a short error class. */
    String errorKind;

    String errorDetail;

    /** Set when {@code done} was called, so a late connection error cannot report it twice. */
    boolean finished;

    Exchange(long originNanos) {
      this.originNanos = originNanos;
    }

    boolean ok() {
      return errorKind == null;
    }
  }

  private final Context context;
  private final HttpClient client;
  private final RequestOptions options;
  private final Buffer body;
  private final byte[] expectTail;

  TargetClient(Vertx vertx, LoadSpec spec, int maxConnections) {
    this.context = vertx.getOrCreateContext();
    this.client =
        vertx
            .httpClientBuilder()
            .with(
                new HttpClientOptions()
                    .setProtocolVersion(HttpVersion.HTTP_1_1)
                    .setKeepAlive(true)
                    .setPipelining(false)
                    .setTcpNoDelay(true)
                    // Seconds; longer than any run, so the pool never closes an idle connection
                    // mid-run (a fresh connect would show up as latency).
                    .setKeepAliveTimeout(3600)
                    .setConnectTimeout((int) spec.timeout().toMillis()))
            .with(new PoolOptions().setHttp1MaxSize(maxConnections))
            .build();
    this.options =
        new RequestOptions()
            .setMethod(HttpMethod.valueOf(spec.method()))
            .setHost(spec.url().getHost())
            .setPort(spec.url().getPort())
            .setURI(spec.requestUri())
            // Bounds the wait for a pooled connection as well as the TCP connect.
            .setConnectTimeout(spec.timeout().toMillis())
            .setIdleTimeout(spec.timeout().toMillis());
    spec.headers().forEach(options::putHeader);
    this.body = Buffer.buffer(spec.body());
    this.expectTail =
        spec.expectTail() == null ? null : spec.expectTail().getBytes(StandardCharsets.UTF_8);
  }

  Context context() {
    return context;
  }

  /**
   * Sends one request now and calls {@code done} on this client's context when its last byte
   * arrived or it failed.
   *
   * @param originNanos when the request should have started; latency is measured from it
   */
  void send(long originNanos, Consumer<Exchange> done) {
    Exchange exchange = new Exchange(originNanos);
    exchange.sentNanos = System.nanoTime();
    client
        .request(options)
        .compose(request -> request.send(body.length() == 0 ? Buffer.buffer() : body))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                fail(exchange, ar.cause(), done);
              } else {
                read(exchange, ar.result(), done);
              }
            });
  }

  private void read(Exchange exchange, HttpClientResponse response, Consumer<Exchange> done) {
    exchange.headersNanos = System.nanoTime();
    exchange.status = response.statusCode();
    TailWindow tail = expectTail == null ? null : new TailWindow(expectTail.length + 8);
    response.handler(
        chunk -> {
          exchange.bytes += chunk.length();
          if (tail != null) {
            tail.add(chunk);
          }
        });
    response.exceptionHandler(e -> fail(exchange, e, done));
    response.endHandler(
        v -> {
          if (exchange.finished) {
            return;
          }
          exchange.finished = true;
          exchange.endNanos = System.nanoTime();
          if (exchange.status < 200 || exchange.status > 299) {
            exchange.errorKind = "status_" + exchange.status;
            exchange.errorDetail = "HTTP " + exchange.status + " " + response.statusMessage();
          } else if (tail != null && !tail.endsWith(expectTail)) {
            exchange.errorKind = "bad_tail";
            exchange.errorDetail = "body does not end with the expected tail";
          }
          done.accept(exchange);
        });
  }

  private static void fail(Exchange exchange, Throwable cause, Consumer<Exchange> done) {
    if (exchange.finished) {
      return;
    }
    exchange.finished = true;
    exchange.endNanos = System.nanoTime();
    exchange.errorKind = isTimeout(cause) ? "timeout" : "io";
    exchange.errorDetail = cause.getClass().getSimpleName() + ": " + cause.getMessage();
    done.accept(exchange);
  }

  private static boolean isTimeout(Throwable cause) {
    return cause instanceof TimeoutException
        || (cause.getMessage() != null && cause.getMessage().toLowerCase().contains("timeout"));
  }

  Future<Void> close() {
    return client.close();
  }

  /** The last bytes of a body, to check how it ended without keeping all of it. */
  static final class TailWindow {
    private final byte[] window;
    private int length;

    TailWindow(int capacity) {
      this.window = new byte[capacity];
    }

    void add(Buffer chunk) {
      byte[] bytes = chunk.getBytes();
      if (bytes.length >= window.length) {
        System.arraycopy(bytes, bytes.length - window.length, window, 0, window.length);
        length = window.length;
        return;
      }
      int keep = Math.min(length, window.length - bytes.length);
      System.arraycopy(window, length - keep, window, 0, keep);
      System.arraycopy(bytes, 0, window, keep, bytes.length);
      length = keep + bytes.length;
    }

    /** True when the bytes seen, ignoring trailing whitespace, end with {@code expected}. */
    boolean endsWith(byte[] expected) {
      int end = length;
      while (end > 0 && Character.isWhitespace(window[end - 1])) {
        end--;
      }
      if (end < expected.length) {
        return false;
      }
      for (int i = 0; i < expected.length; i++) {
        if (window[end - expected.length + i] != expected[i]) {
          return false;
        }
      }
      return true;
    }
  }
}
