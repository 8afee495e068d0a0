package dev.tollgate.dataplane.proxy;

import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.dataplane.auth.AuthFailure;
import dev.tollgate.dataplane.auth.Authenticator;
import dev.tollgate.dataplane.auth.ClientAddressResolver;
import dev.tollgate.dataplane.config.ConfigReplica;
import dev.tollgate.dataplane.config.ConfigView;
import dev.tollgate.dataplane.ratelimit.Decision;
import dev.tollgate.dataplane.ratelimit.Limits;
import dev.tollgate.dataplane.ratelimit.RateLimiter;
import dev.tollgate.dataplane.ratelimit.RedisKeys;
import dev.tollgate.dataplane.routing.ModelRouter;
import dev.tollgate.dataplane.routing.ProviderKeyHealth;
import dev.tollgate.dataplane.routing.Route;
import dev.tollgate.dataplane.routing.RouteDecision;
import dev.tollgate.dataplane.routing.Unavailable;
import dev.tollgate.dataplane.upstream.TokenUsage;
import dev.tollgate.dataplane.upstream.UpstreamClient;
import dev.tollgate.dataplane.upstream.UpstreamErrorClassifier;
import dev.tollgate.dataplane.upstream.UpstreamErrorClassifier.Classification;
import dev.tollgate.dataplane.usage.UpstreamAttempt.Throttle;
import dev.tollgate.dataplane.usage.UsageMeter;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The request path of the data plane, assembled in one place. For each proxied endpoint ({@link
 * ApiEndpoint}: {@code POST /v1/chat/completions}, {@code /v1/completions}, {@code /v1/embeddings},
 * {@code /v1/responses}, and Anthropic's {@code /v1/messages}):
 *
 * <ol>
 *   <li>authenticate: {@link Authenticator} checks the key (bearer, or {@code x-api-key} on
 *       /v1/messages) against the {@link ConfigReplica} (status, expiry, owner, the address from
 *       {@link ClientAddressResolver}, quota), then, once the body names the model, the key's model
 *       allow-list
 *   <li>route: {@link ModelRouter} picks the group and provider key for the model (priority,
 *       weight, {@link ProviderKeyHealth}: cooldowns, circuits, free concurrency; fallback groups);
 *       the group's platform must speak the endpoint's dialect
 *   <li>limit: {@link RateLimiter} admits the request against the RPM, TPM and concurrency limits
 *       of its key, user and group, shared by every replica through Redis
 *   <li>proxy: {@link UpstreamClient} sends the body, {@link ResponseRelay} streams the answer
 *       back; a retryable failure before the first response byte fails over to another provider key
 *   <li>meter: {@link Exchange#finish} records the outcome once in the {@link UsageMeter}
 * </ol>
 *
 * <p>Everything runs on the event loop of the client connection; nothing here blocks.
 */
@ApplicationScoped
public class ProxyPipeline {

  private static final Logger LOG = Logger.getLogger(ProxyPipeline.class);

  private static final String X_API_KEY = "x-api-key";

  private final ConfigReplica replica;
  private final Authenticator authenticator;
  private final ClientAddressResolver clientAddress;
  private final RateLimiter limiter;
  private final RedisKeys redisKeys;
  private final ModelRouter router;
  private final UpstreamClient upstream;
  private final UsageMeter meter;
  private final RequestMetrics metrics;
  private final ShutdownGate gate;
  private final ProviderKeyHealth health;
  private final int maxBodyBytes;
  private final int maxRetries;

  ProxyPipeline(
      ConfigReplica replica,
      Authenticator authenticator,
      ClientAddressResolver clientAddress,
      RateLimiter limiter,
      ModelRouter router,
      UpstreamClient upstream,
      UsageMeter meter,
      RequestMetrics metrics,
      ShutdownGate gate,
      ProviderKeyHealth health,
      DataPlaneConfig config) {
    this.replica = replica;
    this.authenticator = authenticator;
    this.clientAddress = clientAddress;
    this.limiter = limiter;
    this.redisKeys = RedisKeys.of(config.redis());
    this.router = router;
    this.upstream = upstream;
    this.meter = meter;
    this.metrics = metrics;
    this.gate = gate;
    this.health = health;
    this.maxBodyBytes = config.maxRequestBodyBytes();
    this.maxRetries = Math.max(0, config.routing().maxRetries());
  }

  /** {@code POST /v1/chat/completions}. */
  public void chatCompletions(RoutingContext ctx) {
    serve(ctx, ApiEndpoint.CHAT_COMPLETIONS);
  }

  /** {@code POST /v1/completions} (legacy text completions). */
  public void completions(RoutingContext ctx) {
    serve(ctx, ApiEndpoint.COMPLETIONS);
  }

  /** {@code POST /v1/embeddings}. */
  public void embeddings(RoutingContext ctx) {
    serve(ctx, ApiEndpoint.EMBEDDINGS);
  }

  /** {@code POST /v1/responses}. */
  public void responses(RoutingContext ctx) {
    serve(ctx, ApiEndpoint.RESPONSES);
  }

  /** {@code POST /v1/messages}: Anthropic's Messages API, to groups of platform anthropic. */
  public void messages(RoutingContext ctx) {
    serve(ctx, ApiEndpoint.MESSAGES);
  }

  private void serve(RoutingContext ctx, ApiEndpoint endpoint) {
    Exchange exchange = Exchange.begin(ctx, meter, metrics, endpoint);
    ConfigView view = authenticate(exchange);
    if (view == null) {
      return;
    }
    readBody(
        exchange,
        request -> {
          AuthFailure refused = authenticator.checkModel(exchange.key, request.model(), view);
          if (refused != null) {
            exchange.fail(refused.status(), refused.code(), refused.message());
            return;
          }
          Route route = route(exchange, view, request);
          if (route != null) {
            limit(
                exchange,
                view,
                route,
                () -> proxy(exchange, route, request, new Failover(view, maxRetries)));
          }
        });
  }

  /** {@code GET /v1/models}: served from the replica, not metered (no upstream, no tokens). */
  public void models(RoutingContext ctx) {
    Exchange exchange = Exchange.begin(ctx, meter, metrics);
    ConfigView view = authenticate(exchange);
    if (view == null) {
      return;
    }
    JsonArray data = new JsonArray();
    for (String model : router.models(view, exchange.key)) {
      if (authenticator.checkModel(exchange.key, model, view) != null) {
        continue; // not on the key's allow-list
      }
      data.add(
          new JsonObject()
              .put("id", model)
              .put("object", "model")
              .put("created", 0)
              .put("owned_by", "tollgate"));
    }
    exchange.keyId = 0;
    exchange.finish(200, true, TokenUsage.NONE, null, null);
    exchange
        .response
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("object", "list").put("data", data).toBuffer());
  }

  /** Any other path or method under /v1: not metered. */
  public void unknownEndpoint(RoutingContext ctx) {
    Exchange.begin(ctx, meter, metrics)
        .fail(
            404,
            "unknown_url",
            "Unknown request URL: " + ctx.request().method() + " " + ctx.request().path() + ".");
  }

  /** The view the key was checked against, or null once the client has been refused. */
  private ConfigView authenticate(Exchange exchange) {
    if (!gate.open()) {
      exchange.failAndClose(503, "shutting_down", "This gateway replica is shutting down; retry.");
      return null;
    }
    ConfigView view = replica.view();
    if (view == null) {
      exchange.fail(503, "not_ready", "The gateway has not loaded its configuration yet.");
      return null;
    }
    String authorization = exchange.ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    if (authorization == null && exchange.dialect == ApiEndpoint.Dialect.ANTHROPIC) {
      // Anthropic's SDKs send the key as x-api-key; it is the same Tollgate key.
      String apiKey = exchange.ctx.request().getHeader(X_API_KEY);
      authorization = apiKey == null ? null : "Bearer " + apiKey;
    }
    Authenticator.Result result =
        authenticator.authenticate(
            authorization,
            clientAddress.resolve(exchange.ctx.request()),
            view,
            System.currentTimeMillis());
    if (!result.ok()) {
      exchange.fail(result.failure().status(), result.failure().code(), result.failure().message());
      return null;
    }
    exchange.keyId = result.key().getId();
    exchange.key = result.key();
    return view;
  }

  /** Reads the body up to the size bound and parses it once. */
  private void readBody(Exchange exchange, Consumer<ChatRequest> next) {
    HttpServerRequest request = exchange.ctx.request();
    String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (declared != null && parseLength(declared) > maxBodyBytes) {
      tooLarge(exchange);
      return;
    }
    Buffer body = Buffer.buffer(declared == null ? 1024 : (int) Math.max(0, parseLength(declared)));
    request.handler(
        chunk -> {
          if (exchange.finished()) {
            return;
          }
          if (body.length() + chunk.length() > maxBodyBytes) {
            tooLarge(exchange);
          } else {
            body.appendBuffer(chunk);
          }
        });
    request.exceptionHandler(
        failure -> exchange.fail(400, "invalid_request", "The request body could not be read."));
    request.endHandler(
        v -> {
          if (exchange.finished()) {
            return;
          }
          ChatRequest chat = ChatRequest.parse(body, exchange.endpoint.streamUsageOptIn);
          if (chat == null) {
            exchange.fail(400, "invalid_json", "The request body must be a JSON object.");
          } else if (chat.model().isEmpty()) {
            exchange.fail(400, "model_required", "The request body must name a model.");
          } else {
            exchange.model = chat.model();
            exchange.modelLabel = RequestMetrics.OTHER;
            exchange.requestBytes = chat.bodyBytes();
            next.accept(chat);
          }
        });
    request.resume();
  }

  private Route route(Exchange exchange, ConfigView view, ChatRequest request) {
    if (!view.activeGroupsServing(request.model()).isEmpty()) {
      exchange.modelLabel = request.model();
    }
    RouteDecision decision = router.route(view, exchange.key, request.model());
    if (decision == null) {
      exchange.fail(
          404,
          "model_not_found",
          "The model `" + request.model() + "` does not exist or this key cannot use it.");
      return null;
    }
    if (decision instanceof Unavailable unavailable) {
      if (unavailable.retryAfterSeconds() > 0) {
        exchange.refuse(
            unavailable.status(),
            unavailable.status() == 429 ? "requests" : "server_error",
            unavailable.code(),
            unavailable.message(),
            unavailable.retryAfterSeconds());
      } else {
        exchange.fail(unavailable.status(), unavailable.code(), unavailable.message());
      }
      return null;
    }
    Route route = (Route) decision;
    exchange.hold(route.lease());
    if (!exchange.dialect.serves(route.group().getPlatform())) {
      // Translating between the two APIs is not the gateway's job; say where the model is served.
      // (Failing finishes the exchange, which gives the held lease back.)
      exchange.fail(
          404,
          "model_not_found",
          exchange.dialect == ApiEndpoint.Dialect.ANTHROPIC
              ? "The model `"
                  + request.model()
                  + "` is served by an OpenAI-compatible group: call it on /v1/chat/completions."
              : "The model `"
                  + request.model()
                  + "` is served by an Anthropic group: call it on /v1/messages.");
      return null;
    }
    return route;
  }

  /**
   * Admits the request against the key's, user's and group's limits in Redis; an admitted request
   * gives its leases back and has its tokens charged when it ends, however it ends.
   */
  private void limit(Exchange exchange, ConfigView view, Route route, Runnable next) {
    Limits limits = Limits.of(view, exchange.key, route.group().getId(), redisKeys);
    limiter.admit(
        limits,
        decision -> {
          if (exchange.finished()) {
            // The client left while Redis decided: give back what was taken, if anything.
            if (decision.admitted()) {
              limiter.complete(decision, 0);
            }
            return;
          }
          if (decision.admitted()) {
            exchange.onEnd = tokens -> limiter.complete(decision, tokens);
            next.run();
          } else {
            refuse(exchange, decision);
          }
        });
  }

  private static void refuse(Exchange exchange, Decision decision) {
    if (decision.refusedBy() == null) {
      exchange.refuse(
          503,
          "server_error",
          "limits_unavailable",
          "The gateway cannot check rate limits right now; retry.",
          decision.retryAfterSeconds());
      return;
    }
    exchange.refuse(
        429,
        decision.refusedBy().errorType(),
        "rate_limit_exceeded",
        decision.refusedBy().refusal(),
        decision.retryAfterSeconds());
  }

  /**
   * Sends the request on {@code route}; on a retryable failure before any response byte reached the
   * client, tries another provider key (at most {@code tollgate.routing.max-retries} more), with
   * the same buffered body.
   */
  private void proxy(Exchange exchange, Route route, ChatRequest request, Failover failover) {
    exchange.groupLabel =
        route.group().getName().isEmpty()
            ? "group-" + route.group().getId()
            : route.group().getName();
    exchange.beginAttempt(route.providerKey().getId(), route.lease());
    failover.tried.add(route.providerKey().getId());
    Buffer body = request.upstreamBody(route.upstreamModel());
    exchange.upstreamOpening();
    upstream
        .open(route.providerKey(), exchange.endpoint.upstreamPath)
        .onComplete(
            opened -> {
              long openedAt = System.nanoTime();
              if (opened.failed()) {
                LOG.debugf(
                    "Request %s: provider key %d unreachable: %s",
                    exchange.requestId, exchange.providerKeyId, opened.cause());
                route.lease().failed(opened.cause());
                int status = UpstreamErrorClassifier.isTimeout(opened.cause()) ? 504 : 502;
                if (!retry(exchange, request, failover, status, Throttle.NONE, "connect")) {
                  unreachable(exchange, opened.cause());
                }
                return;
              }
              HttpClientRequest upstreamRequest = opened.result();
              if (exchange.finished()) {
                upstreamRequest.reset();
                return;
              }
              exchange.upstreamRequest = upstreamRequest;
              upstream
                  .send(
                      upstreamRequest,
                      route.providerKey(),
                      route.group().getPlatform(),
                      exchange.ctx.request().headers(),
                      exchange.requestId,
                      body)
                  .onComplete(
                      answered -> {
                        if (answered.failed()) {
                          route.lease().failed(answered.cause());
                          boolean timeout = UpstreamErrorClassifier.isTimeout(answered.cause());
                          if (!retry(
                              exchange,
                              request,
                              failover,
                              timeout ? 504 : 502,
                              Throttle.NONE,
                              timeout ? "timeout" : "connect")) {
                            upstreamFailed(exchange, answered.cause());
                          }
                        } else {
                          answered(exchange, route, answered.result(), request, failover);
                        }
                      });
              exchange.overheadSince(openedAt);
            });
  }

  private void answered(
      Exchange exchange,
      Route route,
      HttpClientResponse answer,
      ChatRequest request,
      Failover failover) {
    long arrivedAt = System.nanoTime();
    int status = answer.statusCode();
    Classification classification = route.lease().answered(status, answer.headers());
    if (classification.retryable()
        && retry(
            exchange,
            request,
            failover,
            status,
            classification.throttle(),
            classification.kind().name().toLowerCase())) {
      // Drained rather than reset: error bodies are small and the pooled connection stays usable.
      answer.handler(ignored -> {});
      answer.exceptionHandler(ignored -> {});
      return;
    }
    if (classification.kind() == UpstreamErrorClassifier.Kind.AUTH) {
      // The provider key was refused: the gateway's fault, not the client's, so never a client 401.
      answer.handler(ignored -> {});
      exchange.fail(
          502,
          "upstream_auth_failed",
          "The upstream refused the gateway's credential (" + status + ").");
      return;
    }
    ResponseRelay.relay(exchange, answer, request, upstream.idleTimeoutMs(), route.lease());
    exchange.overheadSince(arrivedAt);
  }

  /**
   * Starts the next try on another provider key when retries are left, nothing has been sent to the
   * client, and routing finds an untried usable key; ends the failed try first. False when the
   * caller must answer with the failure it has.
   */
  private boolean retry(
      Exchange exchange,
      ChatRequest request,
      Failover failover,
      int status,
      Throttle throttle,
      String reason) {
    if (exchange.finished() || exchange.response.headWritten() || failover.retriesLeft <= 0) {
      return false;
    }
    RouteDecision next = router.route(failover.view, exchange.key, request.model(), failover.tried);
    if (!(next instanceof Route route)) {
      return false;
    }
    failover.retriesLeft--;
    exchange.endAttempt(status, throttle);
    exchange.upstreamRequest = null;
    health.failedOver(reason);
    LOG.debugf(
        "Request %s: provider key %d failed (%d, %s); trying provider key %d",
        exchange.requestId, exchange.providerKeyId, status, reason, route.providerKey().getId());
    proxy(exchange, route, request, failover);
    return true;
  }

  private static void unreachable(Exchange exchange, Throwable failure) {
    if (UpstreamErrorClassifier.isTimeout(failure)) {
      exchange.fail(504, "upstream_timeout", "The upstream did not accept a connection in time.");
    } else {
      exchange.fail(502, "upstream_unreachable", "The upstream could not be reached.");
    }
  }

  private static void upstreamFailed(Exchange exchange, Throwable failure) {
    LOG.debugf(
        "Request %s: provider key %d failed before answering: %s",
        exchange.requestId, exchange.providerKeyId, failure);
    if (UpstreamErrorClassifier.isTimeout(failure)) {
      exchange.fail(504, "upstream_timeout", "The upstream did not answer in time.");
    } else {
      exchange.fail(502, "upstream_error", "The upstream connection failed before answering.");
    }
  }

  /** The failover budget and history of one request. */
  private static final class Failover {
    final ConfigView view;
    final List<Long> tried = new ArrayList<>(3);
    int retriesLeft;

    Failover(ConfigView view, int maxRetries) {
      this.view = view;
      this.retriesLeft = maxRetries;
    }
  }

  private void tooLarge(Exchange exchange) {
    // Whatever the client still sends is not read: close rather than drain it.
    exchange.failAndClose(
        413, "request_too_large", "The request body exceeds " + maxBodyBytes + " bytes.");
  }

  private static long parseLength(String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
