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
import dev.tollgate.dataplane.ratelimit.Scope;
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
  private final long bodyTimeoutMs;
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
    this.bodyTimeoutMs = config.http().bodyTimeout().toMillis();
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
    Exchange exchange = Exchange.begin(ctx, meter, metrics, gate, endpoint);
    ConfigView view = authenticate(exchange);
    if (view == null) {
      return;
    }
    ClientError framing = FrontDoor.framing(exchange.ctx.request());
    if (framing != null) {
      // The body's extent is in doubt, so the connection cannot carry another request.
      exchange.refuseAndClose(framing, exchange.ctx.request().getHeader(HttpHeaders.EXPECT));
      return;
    }
    readBody(
        exchange,
        request -> {
          AuthFailure refused = authenticator.checkModel(exchange.key(), request.model(), view);
          if (refused != null) {
            exchange.refuse(ClientError.of(refused));
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
    Exchange exchange = Exchange.begin(ctx, meter, metrics, gate);
    exchange.notMetered();
    ConfigView view = authenticate(exchange);
    if (view == null) {
      return;
    }
    JsonArray data = new JsonArray();
    for (String model : router.models(view, exchange.key())) {
      if (authenticator.checkModel(exchange.key(), model, view) != null) {
        continue; // not on the key's allow-list
      }
      data.add(
          new JsonObject()
              .put("id", model)
              .put("object", "model")
              .put("created", 0)
              .put("owned_by", "tollgate"));
    }
    exchange.finish(200, true, TokenUsage.NONE, null, null);
    exchange
        .response
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("object", "list").put("data", data).toBuffer());
  }

  /** Any other path or method under /v1: not metered. */
  public void unknownEndpoint(RoutingContext ctx) {
    Exchange.begin(ctx, meter, metrics, gate)
        .refuse(ClientError.UNKNOWN_URL, ctx.request().method(), ctx.request().path());
  }

  /**
   * The view the key was checked against, or null once the client has been refused. A replica
   * shutting down still authenticates, so that its 503 is counted on the key like any answer; only
   * once the final flush has begun, when nothing more can be counted, is the connection closed
   * unanswered.
   */
  private ConfigView authenticate(Exchange exchange) {
    if (gate.sealed()) {
      exchange.ctx.request().connection().close();
      return null;
    }
    ConfigView view = replica.view();
    if (view == null) {
      exchange.refuse(ClientError.NOT_READY);
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
      exchange.refuse(ClientError.of(result.failure()));
      return null;
    }
    exchange.authenticated(result.key());
    if (!gate.accepting()) {
      exchange.refuseAndClose(ClientError.SHUTTING_DOWN);
      return null;
    }
    return view;
  }

  /**
   * Reads the body up to the size bound and within the body timeout, and parses it once. The buffer
   * grows with the bytes that arrive, never sized from a declared Content-Length: a client cannot
   * make the gateway allocate by promising a body it never sends.
   */
  private void readBody(Exchange exchange, Consumer<ChatRequest> next) {
    HttpServerRequest request = exchange.ctx.request();
    long declared = FrontDoor.declaredLength(request);
    if (declared > maxBodyBytes) {
      tooLarge(exchange);
      return;
    }
    if (FrontDoor.expectsContinue(request)) {
      // Answered here, once the key and the declared size are accepted; never forwarded upstream.
      exchange.response.writeContinue();
    }
    Buffer body = Buffer.buffer((int) Math.min(Math.max(declared, 1024), 64 * 1024));
    long timer =
        exchange
            .ctx
            .vertx()
            .setTimer(
                bodyTimeoutMs,
                id -> {
                  if (!exchange.finished()) {
                    exchange.refuseAndClose(ClientError.BODY_TIMEOUT, bodyTimeoutMs);
                  }
                });
    request.handler(
        chunk -> {
          if (exchange.finished()) {
            return;
          }
          if (body.length() + chunk.length() > maxBodyBytes) {
            exchange.ctx.vertx().cancelTimer(timer);
            tooLarge(exchange);
          } else {
            body.appendBuffer(chunk);
          }
        });
    request.exceptionHandler(
        failure -> {
          exchange.ctx.vertx().cancelTimer(timer);
          exchange.refuse(ClientError.BODY_UNREADABLE);
        });
    request.endHandler(
        v -> {
          exchange.ctx.vertx().cancelTimer(timer);
          if (exchange.finished()) {
            return;
          }
          ChatRequest.Parsed parsed = ChatRequest.parse(body, exchange.endpoint.streamUsageOptIn);
          if (parsed.request() == null) {
            exchange.refuse(parsed.refusal(), parsed.member());
          } else if (parsed.request().model().isEmpty()) {
            exchange.refuse(ClientError.MODEL_REQUIRED);
          } else {
            exchange.bodyRead(parsed.request());
            next.accept(parsed.request());
          }
        });
    request.resume();
  }

  private Route route(Exchange exchange, ConfigView view, ChatRequest request) {
    if (!view.activeGroupsServing(request.model()).isEmpty()) {
      exchange.modelServed(request.model());
    }
    RouteDecision decision = router.route(view, exchange.key(), request.model());
    if (decision == null) {
      exchange.refuse(ClientError.MODEL_NOT_FOUND, request.model());
      return null;
    }
    if (decision instanceof Unavailable unavailable) {
      ClientError error = ClientError.of(unavailable.reason());
      if (unavailable.retryAfterSeconds() > 0) {
        exchange.refuseRetryAfter(error, unavailable.retryAfterSeconds(), unavailable.model());
      } else {
        exchange.refuse(error, unavailable.model());
      }
      return null;
    }
    Route route = (Route) decision;
    exchange.routed(route);
    if (!exchange.dialect.serves(route.group().getPlatform())) {
      // Translating between the two APIs is not the gateway's job; say where the model is served.
      // (Refusing finishes the exchange, which gives the held lease back.)
      exchange.refuse(
          exchange.dialect == ApiEndpoint.Dialect.ANTHROPIC
              ? ClientError.MODEL_ON_OPENAI_ENDPOINTS
              : ClientError.MODEL_ON_MESSAGES,
          request.model());
      return null;
    }
    return route;
  }

  /**
   * Admits the request against the key's, user's and group's limits in Redis; an admitted request
   * gives its leases back and has its tokens charged when it ends, however it ends.
   */
  private void limit(Exchange exchange, ConfigView view, Route route, Runnable next) {
    Limits limits = Limits.of(view, exchange.key(), route.group().getId(), redisKeys);
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
            exchange.admitted(tokens -> limiter.complete(decision, tokens));
            next.run();
          } else {
            refuse(exchange, decision);
          }
        });
  }

  private static void refuse(Exchange exchange, Decision decision) {
    if (decision.refusedBy() == null) {
      exchange.refuseRetryAfter(ClientError.LIMITS_UNAVAILABLE, decision.retryAfterSeconds());
      return;
    }
    Scope scope = decision.refusedBy();
    exchange.refuseRetryAfter(
        ClientError.RATE_LIMITED,
        ClientError.type(scope),
        decision.retryAfterSeconds(),
        scope.description(),
        scope.name().toLowerCase());
  }

  /**
   * Sends the request on {@code route}; on a retryable failure before any response byte reached the
   * client, tries another provider key (at most {@code tollgate.routing.max-retries} more), with
   * the same buffered body.
   */
  private void proxy(Exchange exchange, Route route, ChatRequest request, Failover failover) {
    exchange.trying(route);
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
                    exchange.requestId, exchange.providerKeyId(), opened.cause());
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
              exchange.sending(upstreamRequest);
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
      exchange.refuse(ClientError.UPSTREAM_AUTH_FAILED, status);
      return;
    }
    exchange.upstreamAnswered(classification.throttle());
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
    RouteDecision next =
        router.route(failover.view, exchange.key(), request.model(), failover.tried);
    if (!(next instanceof Route route)) {
      return false;
    }
    failover.retriesLeft--;
    exchange.endAttempt(status, throttle);
    health.failedOver(reason);
    LOG.debugf(
        "Request %s: provider key %d failed (%d, %s); trying provider key %d",
        exchange.requestId, exchange.providerKeyId(), status, reason, route.providerKey().getId());
    proxy(exchange, route, request, failover);
    return true;
  }

  private static void unreachable(Exchange exchange, Throwable failure) {
    exchange.refuse(
        UpstreamErrorClassifier.isTimeout(failure)
            ? ClientError.UPSTREAM_CONNECT_TIMEOUT
            : ClientError.UPSTREAM_UNREACHABLE);
  }

  private static void upstreamFailed(Exchange exchange, Throwable failure) {
    LOG.debugf(
        "Request %s: provider key %d failed before answering: %s",
        exchange.requestId, exchange.providerKeyId(), failure);
    exchange.refuse(
        UpstreamErrorClassifier.isTimeout(failure)
            ? ClientError.UPSTREAM_TIMEOUT
            : ClientError.UPSTREAM_ERROR);
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
    exchange.refuseAndClose(ClientError.REQUEST_TOO_LARGE, maxBodyBytes);
  }
}
