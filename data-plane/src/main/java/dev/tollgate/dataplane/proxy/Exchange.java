package dev.tollgate.dataplane.proxy;

import dev.tollgate.dataplane.routing.Route;
import dev.tollgate.dataplane.routing.UpstreamLease;
import dev.tollgate.dataplane.upstream.TokenUsage;
import dev.tollgate.dataplane.upstream.UsageExtractor;
import dev.tollgate.dataplane.usage.RequestOutcome;
import dev.tollgate.dataplane.usage.UpstreamAttempt;
import dev.tollgate.dataplane.usage.UpstreamAttempt.Throttle;
import dev.tollgate.dataplane.usage.UsageMeter;
import dev.tollgate.proto.config.v1.ApiKey;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongConsumer;

/**
 * One client request on its way through the pipeline, and the single place where it ends: {@link
 * #finish} records it with the meter exactly once, as one {@link RequestOutcome}, whichever comes
 * first of the response ending, the upstream failing, or the client going away.
 *
 * <p>Its state changes only through named steps, in the order the pipeline takes them: {@link
 * #begin}, {@link #authenticated}, {@link #bodyRead}, {@link #modelServed}, {@link #routed}, {@link
 * #admitted}, then per upstream try {@link #trying}, {@link #sending}, {@link #upstreamAnswered},
 * {@link #relaying} (or {@link #endAttempt} to fail over); and it ends with {@link #refuse}, {@link
 * #finish} or {@link #abort}. Every error it writes comes from the {@link ClientError} catalogue.
 *
 * <p>Confined to the event loop of the client connection (upstream callbacks run there too), so its
 * fields need no synchronisation.
 */
final class Exchange {

  private static final org.jboss.logging.Logger LOG =
      org.jboss.logging.Logger.getLogger(Exchange.class);

  private static final int MAX_REQUEST_ID_CHARS = 128;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  final RoutingContext ctx;
  final HttpServerResponse response;
  final String requestId;
  private final UsageMeter meter;
  private final RequestMetrics metrics;
  private final ShutdownGate gate;
  private final long startNanos;
  private final long startMs;

  /** Set once authenticated; 0 means nothing is metered. */
  private long keyId;

  /** The authenticated key, null before. */
  private ApiKey key;

  /** The provider key of the current (last) upstream try; 0 while none was made. */
  private long providerKeyId;

  /** Tries that ended, in order; the current one is added when it ends. */
  private final List<UpstreamAttempt> attempts = new ArrayList<>(1);

  private boolean attemptOpen;
  private UpstreamLease lease;
  private long attemptStartNanos;
  private long attemptStartMs;

  /** The kind of the 429 the current try answered (passed on to the client), NONE otherwise. */
  private Throttle answeredThrottle = Throttle.NONE;

  private String model = "";

  /** The model as a metrics label: a model of the config, "other", or "none" before the body. */
  private String modelLabel = RequestMetrics.NONE;

  /** The routed group's name as a metrics label, "none" before routing. */
  private String groupLabel = RequestMetrics.NONE;

  private HttpClientRequest upstreamRequest;

  /** Size of the client's body, bytes; the input estimate when the upstream reports no usage. */
  private long requestBytes;

  /** Reads usage from the answer being relayed; null until an answer started. */
  private UsageExtractor relayedUsage;

  /** The endpoint called; null for those that proxy nothing (models, unknown paths). */
  final ApiEndpoint endpoint;

  /** The API family the client speaks: the shape of its error answers. */
  final ApiEndpoint.Dialect dialect;

  /** Time spent in the gateway itself, excluding waits for the upstream or the client. */
  private long overheadNanos;

  private boolean upstreamOpened;

  /** Called once with the tokens used when the request ends, however it ends (limits' release). */
  private LongConsumer onEnd;

  private boolean finished;

  private boolean metered = true;

  /** What the meter was given; null until finished, or when nothing is metered. */
  private RequestOutcome outcome;

  private Exchange(
      RoutingContext ctx,
      UsageMeter meter,
      RequestMetrics metrics,
      ShutdownGate gate,
      ApiEndpoint endpoint) {
    this.ctx = ctx;
    this.gate = gate;
    // Before any check of the gate: the seal waits until this request is recorded.
    gate.entered();
    this.response = ctx.response();
    this.meter = meter;
    this.metrics = metrics;
    this.endpoint = endpoint;
    this.dialect = endpoint == null ? ApiEndpoint.Dialect.OPENAI : endpoint.dialect;
    this.startNanos = System.nanoTime();
    this.startMs = System.currentTimeMillis();
    this.requestId = requestId(ctx.request().getHeader("x-request-id"));
    response.putHeader("x-request-id", requestId);
    response.closeHandler(v -> clientGone());
    if (FrontDoor.chunked(ctx.request())) {
      FrontDoor.closeAfterAnswer(ctx.request(), response);
    }
  }

  static Exchange begin(
      RoutingContext ctx, UsageMeter meter, RequestMetrics metrics, ShutdownGate gate) {
    return new Exchange(ctx, meter, metrics, gate, null);
  }

  static Exchange begin(
      RoutingContext ctx,
      UsageMeter meter,
      RequestMetrics metrics,
      ShutdownGate gate,
      ApiEndpoint endpoint) {
    return new Exchange(ctx, meter, metrics, gate, endpoint);
  }

  /** The client's key was accepted: from now on the request is counted on it. */
  void authenticated(ApiKey key) {
    this.key = key;
    this.keyId = key.getId();
  }

  /**
   * The endpoint proxies nothing (GET /v1/models, unknown paths): whatever it answers, the key is
   * needed only to answer, and nothing is metered.
   */
  void notMetered() {
    this.metered = false;
  }

  /**
   * The body was read and names {@code request.model()}; until {@link #modelServed} it counts as a
   * model no group serves.
   */
  void bodyRead(ChatRequest request) {
    // Kept for the error event as the client wrote it, cleaned: the model routed is the request's.
    this.model = ClientText.clean(request.model());
    this.modelLabel = RequestMetrics.OTHER;
    this.requestBytes = request.bodyBytes();
  }

  /** A group of the configuration serves the model: it is counted under that name. */
  void modelServed(String servedModel) {
    this.modelLabel = servedModel;
  }

  /**
   * Routing chose {@code route}: its lease is held from now (the limit stage runs before the first
   * try), so a request refused or abandoned before its first try gives it back.
   */
  void routed(Route route) {
    hold(route.lease());
  }

  /** The limits admitted the request; {@code onEnd} gets the tokens used when it ends. */
  void admitted(LongConsumer onEnd) {
    this.onEnd = onEnd;
  }

  /** A try of {@code route}'s provider key starts (the first, or one after a failover). */
  void trying(Route route) {
    groupLabel =
        route.group().getName().isEmpty()
            ? "group-" + route.group().getId()
            : route.group().getName();
    beginAttempt(route.providerKey().getId(), route.lease());
  }

  /** The current try's request is open to the upstream (reset if the client leaves). */
  void sending(HttpClientRequest request) {
    this.upstreamRequest = request;
  }

  /**
   * The current try's upstream answered {@code throttle} (a 429's kind, or NONE) and the answer is
   * passed to the client: the try counts the 429 with its kind when it ends.
   */
  void upstreamAnswered(Throttle throttle) {
    this.answeredThrottle = throttle;
  }

  /** The upstream's answer is being relayed; {@code usage} reads its tokens on the way. */
  void relaying(UsageExtractor usage) {
    this.relayedUsage = usage;
  }

  /** The authenticated key, null before. */
  ApiKey key() {
    return key;
  }

  /** The provider key of the current (last) try, 0 before the first. */
  long providerKeyId() {
    return providerKeyId;
  }

  /** The current try's open request, null when none is open. */
  HttpClientRequest upstreamRequest() {
    return upstreamRequest;
  }

  /** What the meter was given: null until finished, and for requests nothing is metered of. */
  RequestOutcome outcome() {
    return outcome;
  }

  /**
   * An upstream connection is being asked for: the first time, the whole time since the request
   * started was the gateway's own (authentication, body parsing, limits, routing).
   */
  void upstreamOpening() {
    if (!upstreamOpened) {
      upstreamOpened = true;
      overheadNanos += System.nanoTime() - startNanos;
    }
  }

  /** Adds the gateway's own time since {@code sinceNanos} (a {@link System#nanoTime} reading). */
  void overheadSince(long sinceNanos) {
    overheadNanos += System.nanoTime() - sinceNanos;
  }

  boolean finished() {
    return finished;
  }

  /**
   * Answers with {@code error} (its message filled with {@code args}), or cuts the connection if
   * the answer already started.
   */
  void refuse(ClientError error, Object... args) {
    fail(error.status, error.type, error.code, error.message(args), -1, false);
  }

  /** As {@link #refuse}, then closes the connection once the answer is out. */
  void refuseAndClose(ClientError error, Object... args) {
    fail(error.status, error.type, error.code, error.message(args), -1, true);
  }

  /** As {@link #refuse}, with a {@code Retry-After} in seconds. */
  void refuseRetryAfter(ClientError error, long retryAfterSeconds, Object... args) {
    fail(error.status, error.type, error.code, error.message(args), retryAfterSeconds, false);
  }

  /** As {@link #refuseRetryAfter}, with the OpenAI {@code type} given (a rate limit's scope). */
  void refuseRetryAfter(ClientError error, String type, long retryAfterSeconds, Object... args) {
    fail(error.status, type, error.code, error.message(args), retryAfterSeconds, false);
  }

  private void fail(
      int status, String type, String code, String message, long retryAfterSeconds, boolean close) {
    if (finished) {
      return;
    }
    if (response.headWritten()) {
      abort(status, code, message, TokenUsage.NONE);
      return;
    }
    // Recorded before the answer goes out: once the last response ends, shutdown drains the meter
    // for the final flush, and a count recorded after that would be lost.
    finish(status, false, TokenUsage.NONE, code, message);
    // Headers copied from an upstream answer that failed before its first byte reached the client.
    response.headers().clear();
    response
        .setStatusCode(status)
        .putHeader("x-request-id", requestId)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
    if (retryAfterSeconds >= 0) {
      response.putHeader("retry-after", Long.toString(retryAfterSeconds));
    }
    if (close || FrontDoor.chunked(ctx.request())) {
      response.putHeader(HttpHeaders.CONNECTION, "close");
    }
    response
        .end(
            dialect == ApiEndpoint.Dialect.OPENAI
                ? OpenAiError.body(type, code, message)
                : OpenAiError.body(dialect, status, code, message))
        .onComplete(
            written -> {
              if (close) {
                ctx.request().connection().close();
              }
            });
  }

  /**
   * The answer started but cannot complete: reset the client connection so it does not mistake a
   * truncated body for a whole one.
   */
  void abort(int status, String errorClass, String message, TokenUsage usage) {
    if (finished) {
      return;
    }
    finish(status, false, usage, errorClass, message);
    response.reset();
  }

  /**
   * Holds the lease routing took before the first try begins (the limit stage runs in between), so
   * that a request refused or abandoned before its first try gives it back.
   */
  private void hold(UpstreamLease lease) {
    if (!attemptOpen) {
      endLease();
      this.lease = lease;
    }
  }

  /**
   * Starts a try of {@code id} holding {@code lease} (may be null), which is ended with the try:
   * its in-flight slot is given back however the request ends.
   */
  private void beginAttempt(long id, UpstreamLease lease) {
    if (attemptOpen) {
      throw new IllegalStateException("the previous upstream try of " + requestId + " is open");
    }
    providerKeyId = id;
    if (this.lease != lease) {
      endLease();
      this.lease = lease;
    }
    attemptOpen = true;
    answeredThrottle = Throttle.NONE;
    attemptStartNanos = System.nanoTime();
    attemptStartMs = System.currentTimeMillis();
  }

  /**
   * Ends the current try without it answering the client (the request fails over to another
   * provider key, or fails): it counts as a failed request of its provider key.
   *
   * @param status what the upstream answered, or 502/504 when it did not answer
   * @param throttle the kind of a 429, {@link Throttle#NONE} otherwise
   */
  void endAttempt(int status, Throttle throttle) {
    if (!attemptOpen) {
      return;
    }
    attemptOpen = false;
    upstreamRequest = null;
    endLease();
    long nanos = System.nanoTime() - attemptStartNanos;
    attempts.add(
        new UpstreamAttempt(
            providerKeyId, status, false, nanos / 1_000_000L, throttle, attemptStartMs));
  }

  /** Records the request once. */
  void finish(int status, boolean success, TokenUsage usage, String errorClass, String message) {
    finish(status, success, usage, false, errorClass, message);
  }

  /**
   * Records the request once; {@code estimated} marks tokens estimated from the text because the
   * upstream reported none. A try still open is the one that answered: it ends with the request.
   */
  void finish(
      int status,
      boolean success,
      TokenUsage usage,
      boolean estimated,
      String errorClass,
      String message) {
    if (finished) {
      return;
    }
    finished = true;
    if (onEnd != null) {
      onEnd.accept(usage.totalTokens());
    }
    metrics.answered(status, modelLabel, groupLabel);
    if (upstreamOpened) {
      metrics.overhead(overheadNanos);
    }
    if (attemptOpen) {
      attemptOpen = false;
      endLease();
      long nanos = System.nanoTime() - attemptStartNanos;
      // A 429 passed on to the client keeps its kind, as when it is failed over: the control
      // plane's upstream_429 counts must equal what the data plane saw.
      Throttle throttle = status == 429 ? answeredThrottle : Throttle.NONE;
      attempts.add(
          new UpstreamAttempt(
              providerKeyId, status, success, nanos / 1_000_000L, throttle, attemptStartMs));
    } else {
      // A lease held since routing whose try never began (refused by a limit, client gone).
      endLease();
    }
    if (keyId != 0 && metered) {
      long latencyMs = (System.nanoTime() - startNanos) / 1_000_000L;
      outcome =
          new RequestOutcome(
              keyId,
              providerKeyId,
              usageModel(),
              model,
              status,
              success,
              usage,
              estimated,
              startMs,
              latencyMs,
              success ? null : errorClass,
              success ? null : message,
              requestId,
              attempts);
      meter.record(outcome);
    }
    gate.left();
  }

  /**
   * The model the usage is counted under: bounded by the configuration whatever the client sent (a
   * model some group serves, else a fixed marker).
   */
  private String usageModel() {
    // Compared by identity: a configured model may itself be called "none" or "other".
    if (modelLabel == RequestMetrics.NONE) {
      return RequestOutcome.NO_MODEL;
    }
    return modelLabel == RequestMetrics.OTHER ? RequestOutcome.OTHER_MODEL : modelLabel;
  }

  private void endLease() {
    if (lease != null) {
      lease.end();
      lease = null;
    }
  }

  private void clientGone() {
    if (finished || answerDelivered()) {
      // A whole answer of declared length reached the client before the upstream's end event was
      // handled (a connection closed right after it, e.g. by a replica shutting down): the relay's
      // end records it as what the client received, not as a disconnect.
      return;
    }
    LOG.debugf("Request %s: client closed the connection before the answer ended", requestId);
    int status = response.headWritten() ? response.getStatusCode() : 499;
    TokenUsage usage = TokenUsage.NONE;
    boolean estimated = false;
    if (upstreamRequest != null) {
      // The upstream has read the prompt and maybe generated part of the answer: the provider
      // bills that, so it is counted, from the upstream's own figures when they are final.
      UsageExtractor seen = relayedUsage;
      if (seen != null && seen.usageFinal()) {
        usage = seen.usage();
      } else {
        usage =
            TokenUsage.estimate(
                seen == null ? TokenUsage.NONE : seen.usage(),
                requestBytes,
                seen == null ? 0 : seen.textChars());
        estimated = true;
      }
    }
    finish(
        status,
        false,
        usage,
        estimated,
        "client_disconnected",
        "Client closed the connection before the answer ended.");
    if (upstreamRequest != null) {
      // Stop the upstream generating (and billing) tokens nobody will read. After finishing: the
      // reset is reported synchronously to the relay, which must find the request already counted.
      upstreamRequest.reset();
    }
  }

  /** Whether the client has every byte of an answer whose length was declared. */
  private boolean answerDelivered() {
    if (!response.headWritten()) {
      return false;
    }
    String length = response.headers().get("content-length");
    if (length == null) {
      return false;
    }
    try {
      return response.bytesWritten() >= Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static String requestId(String fromClient) {
    if (fromClient != null
        && !fromClient.isEmpty()
        && fromClient.length() <= MAX_REQUEST_ID_CHARS
        && isPrintableAscii(fromClient)) {
      return fromClient;
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] id = new char[32];
    long hi = random.nextLong();
    long lo = random.nextLong();
    for (int i = 0; i < 16; i++) {
      id[i] = HEX[(int) (hi >>> (60 - 4 * i)) & 0xf];
      id[16 + i] = HEX[(int) (lo >>> (60 - 4 * i)) & 0xf];
    }
    return new String(id);
  }

  private static boolean isPrintableAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }
}
