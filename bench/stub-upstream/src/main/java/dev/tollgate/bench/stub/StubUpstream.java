package dev.tollgate.bench.stub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A deterministic OpenAI-compatible upstream, fast enough to be the baseline of the data-plane
 * benchmarks.
 *
 * <p>Usage it reports is a pure function of the request, so tests can compute what must be counted:
 * {@code prompt_tokens} = characters of all message contents / 4 (at least 1), {@code
 * completion_tokens} = {@code max_tokens} (16 when absent), {@code total_tokens} = their sum. A
 * streamed answer sends one chunk per completion token, then the usage chunk when {@code
 * stream_options.include_usage} is true, then {@code [DONE]}.
 *
 * <p>A request can steer the stub with a top-level {@code "x_stub"} object: {@code status} (answer
 * with that HTTP status and an OpenAI-shaped error), {@code delay_ms} (before the first byte),
 * {@code chunk_delay_ms} (between streamed chunks), {@code headers} (an object of response headers
 * to add, e.g. a 429's {@code retry-after} or {@code x-ratelimit-*}), and {@code max_concurrent}
 * (when more requests carrying it are in flight on this stub than that, answer 429 the way a
 * provider refuses for concurrency: rate windows with room left, so {@code
 * x-ratelimit-remaining-requests} and {@code -tokens} above 0). {@link #maxInFlight} reports the
 * most such requests that were ever in flight at once. {@code only_port} limits the steering to the
 * stub listening on that port (tests with several upstreams); others answer normally.
 *
 * <p>Configuration: {@code STUB_PORT} (default 9090), {@code STUB_API_KEY} (when set, requests
 * without {@code Authorization: Bearer <it>} get 401), {@code STUB_EVENT_LOOPS} (default 2).
 */
public final class StubUpstream extends AbstractVerticle {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> MODELS = List.of("gpt-4o-mini", "gpt-4o", "stub-model");
  private static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");

  private final String requiredAuthorization;
  private final AtomicLong ids = new AtomicLong();

  /** Requests carrying {@code x_stub.max_concurrent} in flight, shared by a deployment's loops. */
  private final AtomicInteger capped;

  private final AtomicInteger cappedPeak;

  StubUpstream(String apiKey, AtomicInteger capped, AtomicInteger cappedPeak) {
    this.requiredAuthorization = apiKey == null || apiKey.isBlank() ? null : "Bearer " + apiKey;
    this.capped = capped;
    this.cappedPeak = cappedPeak;
  }

  private static final java.util.Map<String, AtomicInteger> PEAKS =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The most requests carrying {@code x_stub.max_concurrent} that the deployment listening on
   * {@code port} admitted at once (refused ones not counted).
   */
  public static int maxInFlight(int port) {
    AtomicInteger peak = PEAKS.get(Integer.toString(port));
    return peak == null ? 0 : peak.get();
  }

  public static void main(String[] args) {
    int port = Integer.parseInt(env("STUB_PORT", "9090"));
    int loops = Integer.parseInt(env("STUB_EVENT_LOOPS", "2"));
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
    deploy(vertx, port, loops, System.getenv("STUB_API_KEY"))
        .onSuccess(id -> System.out.println("stub upstream listening on 127.0.0.1:" + port))
        .onFailure(
            e -> {
              System.err.println("stub upstream failed to start: " + e.getMessage());
              System.exit(1);
            });
  }

  /**
   * Starts the stub in an existing Vert.x (tests run it in-process this way).
   *
   * @param port the loopback port to listen on
   * @param instances how many verticle instances (event loops) serve it
   * @param apiKey when not null or blank, the bearer token every request must carry
   * @return the deployment id, to undeploy it
   */
  public static Future<String> deploy(Vertx vertx, int port, int instances, String apiKey) {
    AtomicInteger capped = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    PEAKS.put(Integer.toString(port), peak);
    return vertx.deployVerticle(
        () -> new StubUpstream(apiKey, capped, peak),
        new DeploymentOptions()
            .setInstances(instances)
            .setConfig(new io.vertx.core.json.JsonObject().put("port", port)));
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  @Override
  public void start(io.vertx.core.Promise<Void> started) {
    vertx
        .createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setTcpNoDelay(true))
        .requestHandler(this::handle)
        .listen(config().getInteger("port"))
        .<Void>mapEmpty()
        .onComplete(started);
  }

  private void handle(HttpServerRequest request) {
    if (requiredAuthorization != null
        && !requiredAuthorization.equals(request.getHeader("Authorization"))) {
      error(request.response(), 401, "invalid_api_key", "Incorrect API key provided.");
      return;
    }
    String path = request.path();
    if (request.method().name().equals("GET") && path.endsWith("/models")) {
      models(request.response());
    } else if (request.method().name().equals("POST") && path.endsWith("/chat/completions")) {
      request.body().onSuccess(body -> chat(request.response(), body));
    } else {
      error(request.response(), 404, "not_found", "No route for " + request.method() + " " + path);
    }
  }

  private void models(HttpServerResponse response) {
    ObjectNode list = JSON.createObjectNode().put("object", "list");
    ArrayNode data = list.putArray("data");
    for (String model : MODELS) {
      data.addObject()
          .put("id", model)
          .put("object", "model")
          .put("created", 0)
          .put("owned_by", "stub");
    }
    response.putHeader("Content-Type", "application/json").end(list.toString());
  }

  private void chat(HttpServerResponse response, Buffer body) {
    JsonNode request;
    try {
      request = JSON.readTree(body.getBytes());
    } catch (Exception e) {
      error(response, 400, "invalid_json", "Request body is not JSON.");
      return;
    }
    JsonNode asked = request.path("x_stub");
    int onlyPort = asked.path("only_port").asInt(0);
    // Steering meant for another stub (a test with several upstreams): answer normally.
    JsonNode steer =
        onlyPort != 0 && onlyPort != config().getInteger("port")
            ? com.fasterxml.jackson.databind.node.MissingNode.getInstance()
            : asked;
    int status = steer.path("status").asInt(200);
    long delayMs = steer.path("delay_ms").asLong(0);
    steer
        .path("headers")
        .fields()
        .forEachRemaining(h -> response.putHeader(h.getKey(), h.getValue().asText()));
    int maxConcurrent = steer.path("max_concurrent").asInt(0);
    if (maxConcurrent > 0) {
      int inFlight = capped.incrementAndGet();
      if (inFlight > maxConcurrent) {
        capped.decrementAndGet();
        response
            .putHeader("x-ratelimit-remaining-requests", "499")
            .putHeader("x-ratelimit-remaining-tokens", "199000");
        error(response, 429, "rate_limit_exceeded", "Too many concurrent requests.");
        return;
      }
      cappedPeak.accumulateAndGet(inFlight, Math::max);
      // Whichever comes first, once: the answer ends, or the caller goes away.
      java.util.concurrent.atomic.AtomicBoolean released =
          new java.util.concurrent.atomic.AtomicBoolean();
      Runnable release =
          () -> {
            if (released.compareAndSet(false, true)) {
              capped.decrementAndGet();
            }
          };
      response.closeHandler(v -> release.run());
      response.endHandler(v -> release.run());
    }
    Runnable answer =
        () -> {
          if (status != 200) {
            error(response, status, "stub_error", "Stub answered " + status + " as asked.");
          } else if (request.path("stream").asBoolean(false)) {
            stream(response, request, steer.path("chunk_delay_ms").asLong(0));
          } else {
            complete(response, request);
          }
        };
    if (delayMs > 0) {
      vertx.setTimer(delayMs, t -> answer.run());
    } else {
      answer.run();
    }
  }

  private static int promptTokens(JsonNode request) {
    int chars = 0;
    for (JsonNode message : request.path("messages")) {
      chars += message.path("content").asText("").length();
    }
    return Math.max(1, chars / 4);
  }

  private static int completionTokens(JsonNode request) {
    return request.path("max_tokens").asInt(16);
  }

  private ObjectNode usage(JsonNode request) {
    int prompt = promptTokens(request);
    int completion = completionTokens(request);
    return JSON.createObjectNode()
        .put("prompt_tokens", prompt)
        .put("completion_tokens", completion)
        .put("total_tokens", prompt + completion);
  }

  private void complete(HttpServerResponse response, JsonNode request) {
    ObjectNode completion = JSON.createObjectNode();
    completion
        .put("id", "chatcmpl-stub-" + ids.incrementAndGet())
        .put("object", "chat.completion")
        .put("created", System.currentTimeMillis() / 1000)
        .put("model", request.path("model").asText());
    ObjectNode choice = completion.putArray("choices").addObject();
    choice.put("index", 0).put("finish_reason", "stop");
    choice
        .putObject("message")
        .put("role", "assistant")
        .put("content", "tok ".repeat(completionTokens(request)).trim());
    completion.set("usage", usage(request));
    response.putHeader("Content-Type", "application/json").end(completion.toString());
  }

  private void stream(HttpServerResponse response, JsonNode request, long chunkDelayMs) {
    String id = "chatcmpl-stub-" + ids.incrementAndGet();
    String model = request.path("model").asText();
    long created = System.currentTimeMillis() / 1000;
    boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
    int tokens = completionTokens(request);
    response
        .setChunked(true)
        .putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache");
    sendChunk(response, request, id, model, created, includeUsage, tokens, 0, chunkDelayMs);
  }

  private void sendChunk(
      HttpServerResponse response,
      JsonNode request,
      String id,
      String model,
      long created,
      boolean includeUsage,
      int tokens,
      int index,
      long chunkDelayMs) {
    if (response.closed()) {
      return;
    }
    if (index < tokens) {
      ObjectNode chunk = chunkHeader(id, model, created);
      ObjectNode choice = chunk.putArray("choices").addObject();
      choice.put("index", 0).putObject("delta").put("content", index == 0 ? "tok" : " tok");
      if (index == tokens - 1) {
        choice.put("finish_reason", "stop");
      } else {
        choice.putNull("finish_reason");
      }
      if (includeUsage) {
        chunk.putNull("usage");
      }
      response.write("data: " + chunk + "\n\n");
      Runnable next =
          () ->
              sendChunk(
                  response,
                  request,
                  id,
                  model,
                  created,
                  includeUsage,
                  tokens,
                  index + 1,
                  chunkDelayMs);
      if (chunkDelayMs > 0) {
        vertx.setTimer(chunkDelayMs, t -> next.run());
      } else {
        next.run();
      }
      return;
    }
    if (includeUsage) {
      ObjectNode chunk = chunkHeader(id, model, created);
      chunk.putArray("choices");
      chunk.set("usage", usage(request));
      response.write("data: " + chunk + "\n\n");
    }
    response.end(DONE);
  }

  private static ObjectNode chunkHeader(String id, String model, long created) {
    return JSON.createObjectNode()
        .put("id", id)
        .put("object", "chat.completion.chunk")
        .put("created", created)
        .put("model", model);
  }

  private static void error(HttpServerResponse response, int status, String code, String message) {
    ObjectNode error = JSON.createObjectNode();
    error
        .putObject("error")
        .put("message", message)
        .put("type", status >= 500 ? "server_error" : "invalid_request_error")
        .put("code", code);
    response
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(error.toString());
  }
}
