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
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * A deterministic upstream speaking the OpenAI API ({@code /chat/completions}, {@code
 * /completions}, {@code /embeddings}, {@code /responses}, {@code GET /models}) and Anthropic's
 * ({@code /messages}), fast enough to be the baseline of the data-plane benchmarks.
 *
 * <p>Usage it reports is a pure function of the request, so tests can compute what must be counted:
 * prompt (input) tokens = characters of the prompt text / 4 (at least 1), where the prompt text is
 * every message content for chat and messages (plus {@code system}), {@code prompt} for
 * completions, {@code input} for embeddings and responses; completion (output) tokens = {@code
 * max_tokens} ({@code max_output_tokens} for responses; 16 when absent, 0 for embeddings); total =
 * their sum. OpenAI endpoints name them {@code prompt_tokens/completion_tokens/total_tokens},
 * responses and messages {@code input_tokens/output_tokens}. A streamed answer sends one event per
 * output token, then usage where that API sends it (chat and completions only when {@code
 * stream_options.include_usage} is true; {@code response.completed}; {@code message_start} and
 * {@code message_delta}), then the API's end marker.
 *
 * <p>A request can steer the stub with a top-level {@code "x_stub"} object: {@code status} (answer
 * with that HTTP status and an API-shaped error), {@code delay_ms} (before the first byte), {@code
 * chunk_delay_ms} (between streamed events), {@code token_chars} (characters per output token, for
 * large answers; default 3, the token text being "tok"), {@code headers} (an object of response
 * headers to add, e.g. a 429's {@code retry-after} or {@code x-ratelimit-*}), and {@code
 * max_concurrent} (when more requests carrying it are in flight on this stub than that, answer 429
 * the way a provider refuses for concurrency: rate windows with room left, so {@code
 * x-ratelimit-remaining-requests} and {@code -tokens} above 0). {@link #maxInFlight} reports the
 * most such requests that were ever in flight at once. {@code only_port} limits the steering to the
 * stub listening on that port (tests with several upstreams); others answer normally. Streams
 * respect back-pressure: a slow reader slows the stub down rather than filling its memory.
 *
 * <p>Configuration: {@code STUB_PORT} (default 9090), {@code STUB_API_KEY} (when set, requests
 * without {@code Authorization: Bearer <it>}, or {@code x-api-key: <it>} on {@code /messages}, get
 * 401), {@code STUB_EVENT_LOOPS} (default 2).
 */
public final class StubUpstream extends AbstractVerticle {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> MODELS = List.of("gpt-4o-mini", "gpt-4o", "stub-model");
  private static final String DONE = "data: [DONE]\n\n";
  private static final int EMBEDDING_DIMENSIONS = 8;

  private final String apiKey;
  private final StubJournal journal;
  private final AtomicLong ids = new AtomicLong();

  /** Requests carrying {@code x_stub.max_concurrent} in flight, shared by a deployment's loops. */
  private final AtomicInteger capped;

  private final AtomicInteger cappedPeak;

  private static final java.util.Map<String, AtomicInteger> PEAKS =
      new java.util.concurrent.ConcurrentHashMap<>();

  StubUpstream(String apiKey, StubJournal journal, AtomicInteger capped, AtomicInteger cappedPeak) {
    this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
    this.journal = journal;
    this.capped = capped;
    this.cappedPeak = cappedPeak;
  }

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
   * @param apiKey when not null or blank, the credential every request must carry
   * @return the deployment id, to undeploy it
   */
  public static Future<String> deploy(Vertx vertx, int port, int instances, String apiKey) {
    return deploy(vertx, port, instances, apiKey, null);
  }

  /** As {@link #deploy(Vertx, int, int, String)}, recording what it sees in {@code journal}. */
  public static Future<String> deploy(
      Vertx vertx, int port, int instances, String apiKey, StubJournal journal) {
    AtomicInteger capped = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    PEAKS.put(Integer.toString(port), peak);
    return vertx.deployVerticle(
        () -> new StubUpstream(apiKey, journal, capped, peak),
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
        .createHttpServer(
            new HttpServerOptions()
                .setHost("127.0.0.1")
                .setTcpNoDelay(true)
                // The admin API accepts provider secrets of up to 16 KiB, sent as a bearer header;
                // Vert.x's default 8 KiB would refuse them with 431.
                .setMaxHeaderSize(32 * 1024))
        .requestHandler(this::handle)
        .listen(config().getInteger("port"))
        .<Void>mapEmpty()
        .onComplete(started);
  }

  /** The APIs the stub speaks, by path suffix. */
  private enum Api {
    CHAT,
    COMPLETIONS,
    EMBEDDINGS,
    RESPONSES,
    MESSAGES;

    static Api of(String path) {
      if (path.endsWith("/chat/completions")) {
        return CHAT;
      } else if (path.endsWith("/completions")) {
        return COMPLETIONS;
      } else if (path.endsWith("/embeddings")) {
        return EMBEDDINGS;
      } else if (path.endsWith("/responses")) {
        return RESPONSES;
      } else if (path.endsWith("/messages")) {
        return MESSAGES;
      }
      return null;
    }
  }

  private void handle(HttpServerRequest request) {
    String path = request.path();
    Api api = Api.of(path);
    HttpServerResponse response = request.response();
    // Vert.x keeps one close and one end handler per response: whoever needs to know when the
    // answer ends (the journal, a concurrency slot) chains onto this.
    Runnable ended;
    if (journal != null) {
      String requestId = request.getHeader("x-request-id");
      journal.received(requestId, request.headers());
      ended = () -> journal.ended(requestId, response.ended());
    } else {
      ended = () -> {};
    }
    response.closeHandler(v -> ended.run());
    response.endHandler(v -> ended.run());
    if (apiKey != null && !authorized(request, api)) {
      error(response, api, 401, "invalid_api_key", "Incorrect API key provided.");
      return;
    }
    AtomicLong written =
        journal == null ? null : journal.writtenCounter(request.getHeader("x-request-id"));
    if (request.method().name().equals("GET") && path.endsWith("/models")) {
      models(response);
    } else if (request.method().name().equals("POST") && api != null) {
      request.body().onSuccess(body -> answer(response, api, body, written, ended));
    } else {
      error(response, null, 404, "not_found", "No route for " + request.method() + " " + path);
    }
  }

  private boolean authorized(HttpServerRequest request, Api api) {
    if (api == Api.MESSAGES) {
      return apiKey.equals(request.getHeader("x-api-key"));
    }
    return ("Bearer " + apiKey).equals(request.getHeader("Authorization"));
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

  private void answer(
      HttpServerResponse response, Api api, Buffer body, AtomicLong written, Runnable ended) {
    JsonNode request;
    try {
      request = JSON.readTree(body.getBytes());
    } catch (Exception e) {
      error(response, api, 400, "invalid_json", "Request body is not JSON.");
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
    for (var header : steer.path("headers").properties()) {
      response.putHeader(header.getKey(), header.getValue().asText());
    }
    int maxConcurrent = steer.path("max_concurrent").asInt(0);
    if (maxConcurrent > 0) {
      int inFlight = capped.incrementAndGet();
      if (inFlight > maxConcurrent) {
        capped.decrementAndGet();
        response
            .putHeader("x-ratelimit-remaining-requests", "499")
            .putHeader("x-ratelimit-remaining-tokens", "199000");
        error(response, api, 429, "rate_limit_exceeded", "Too many concurrent requests.");
        return;
      }
      cappedPeak.accumulateAndGet(inFlight, Math::max);
      // Whichever comes first, once: the answer ends, or the caller goes away.
      AtomicBoolean released = new AtomicBoolean();
      Runnable release =
          () -> {
            if (released.compareAndSet(false, true)) {
              capped.decrementAndGet();
            }
          };
      response.closeHandler(
          v -> {
            release.run();
            ended.run();
          });
      response.endHandler(
          v -> {
            release.run();
            ended.run();
          });
    }
    Runnable answer =
        () -> {
          if (status != 200) {
            error(response, api, status, "stub_error", "Stub answered " + status + " as asked.");
          } else if (request.path("stream").asBoolean(false) && api != Api.EMBEDDINGS) {
            stream(response, api, request, steer.path("chunk_delay_ms").asLong(0), written);
          } else {
            complete(response, api, request);
          }
        };
    if (delayMs > 0) {
      vertx.setTimer(delayMs, t -> answer.run());
    } else {
      answer.run();
    }
  }

  // --- usage --------------------------------------------------------------------------------

  private static int promptTokens(Api api, JsonNode request) {
    int chars =
        switch (api) {
          case CHAT -> contentChars(request.path("messages"));
          case MESSAGES ->
              contentChars(request.path("messages")) + textChars(request.path("system"));
          case COMPLETIONS -> textChars(request.path("prompt"));
          case EMBEDDINGS, RESPONSES -> inputChars(request.path("input"));
        };
    return Math.max(1, chars / 4);
  }

  private static int contentChars(JsonNode messages) {
    int chars = 0;
    for (JsonNode message : messages) {
      chars += textChars(message.path("content"));
    }
    return chars;
  }

  /** A string, an array of strings, or an array of content parts with {@code text}. */
  private static int textChars(JsonNode node) {
    if (node.isTextual()) {
      return node.textValue().length();
    }
    int chars = 0;
    for (JsonNode part : node) {
      chars += part.isTextual() ? part.textValue().length() : part.path("text").asText("").length();
    }
    return chars;
  }

  private static int inputChars(JsonNode input) {
    if (input.isTextual()) {
      return input.textValue().length();
    }
    int chars = 0;
    for (JsonNode item : input) {
      chars += item.isTextual() ? item.textValue().length() : textChars(item.path("content"));
    }
    return chars;
  }

  private static int completionTokens(Api api, JsonNode request) {
    return switch (api) {
      case EMBEDDINGS -> 0;
      case RESPONSES -> request.path("max_output_tokens").asInt(16);
      default -> request.path("max_tokens").asInt(16);
    };
  }

  private static ObjectNode usage(Api api, JsonNode request) {
    int prompt = promptTokens(api, request);
    int completion = completionTokens(api, request);
    ObjectNode usage = JSON.createObjectNode();
    switch (api) {
      case RESPONSES -> {
        usage.put("input_tokens", prompt).put("output_tokens", completion);
        usage.putObject("input_tokens_details").put("cached_tokens", 0);
        usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
        usage.put("total_tokens", prompt + completion);
      }
      case MESSAGES -> usage.put("input_tokens", prompt).put("output_tokens", completion);
      case EMBEDDINGS -> usage.put("prompt_tokens", prompt).put("total_tokens", prompt);
      default ->
          usage
              .put("prompt_tokens", prompt)
              .put("completion_tokens", completion)
              .put("total_tokens", prompt + completion);
    }
    return usage;
  }

  private static String tokenText(JsonNode request, int index) {
    int chars = request.path("x_stub").path("token_chars").asInt(3);
    String token = chars == 3 ? "tok" : "x".repeat(Math.max(1, chars));
    return index == 0 ? token : " " + token;
  }

  private static String text(JsonNode request, int tokens) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < tokens; i++) {
      text.append(tokenText(request, i));
    }
    return text.toString();
  }

  // --- whole answers ------------------------------------------------------------------------

  private void complete(HttpServerResponse response, Api api, JsonNode request) {
    String model = request.path("model").asText();
    int tokens = completionTokens(api, request);
    ObjectNode answer = JSON.createObjectNode();
    switch (api) {
      case CHAT -> {
        answer
            .put("id", "chatcmpl-stub-" + ids.incrementAndGet())
            .put("object", "chat.completion")
            .put("created", System.currentTimeMillis() / 1000)
            .put("model", model);
        ObjectNode choice = answer.putArray("choices").addObject();
        choice.put("index", 0).put("finish_reason", "stop");
        choice.putObject("message").put("role", "assistant").put("content", text(request, tokens));
        answer.set("usage", usage(api, request));
      }
      case COMPLETIONS -> {
        answer
            .put("id", "cmpl-stub-" + ids.incrementAndGet())
            .put("object", "text_completion")
            .put("created", System.currentTimeMillis() / 1000)
            .put("model", model);
        answer
            .putArray("choices")
            .addObject()
            .put("index", 0)
            .put("text", text(request, tokens))
            .put("finish_reason", "stop")
            .putNull("logprobs");
        answer.set("usage", usage(api, request));
      }
      case EMBEDDINGS -> {
        answer.put("object", "list").put("model", model);
        ArrayNode data = answer.putArray("data");
        JsonNode input = request.path("input");
        int inputs = input.isArray() ? input.size() : 1;
        for (int i = 0; i < inputs; i++) {
          ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
          ArrayNode vector = item.putArray("embedding");
          for (int d = 0; d < EMBEDDING_DIMENSIONS; d++) {
            vector.add((i + d) / 10.0);
          }
        }
        answer.set("usage", usage(api, request));
      }
      case RESPONSES -> {
        answer.setAll(response(request, model, "completed", text(request, tokens)));
        answer.set("usage", usage(api, request));
      }
      case MESSAGES -> {
        answer.setAll(message(model));
        answer
            .putArray("content")
            .addObject()
            .put("type", "text")
            .put("text", text(request, tokens));
        answer.put("stop_reason", "end_turn");
        answer.set("usage", usage(api, request));
      }
    }
    response.putHeader("Content-Type", "application/json").end(answer.toString());
  }

  private ObjectNode response(JsonNode request, String model, String status, String text) {
    ObjectNode response =
        JSON.createObjectNode()
            .put("id", "resp_stub" + ids.incrementAndGet())
            .put("object", "response")
            .put("created_at", System.currentTimeMillis() / 1000)
            .put("status", status)
            .put("model", model);
    response.putNull("error");
    response.putNull("incomplete_details");
    response.putNull("instructions");
    response.putNull("max_output_tokens");
    response.put("parallel_tool_calls", true);
    response.put("temperature", 1.0).put("top_p", 1.0).put("tool_choice", "auto");
    response.putArray("tools");
    ArrayNode output = response.putArray("output");
    if (text != null) {
      ObjectNode message =
          output
              .addObject()
              .put("type", "message")
              .put("id", "msg_stub" + ids.get())
              .put("status", "completed")
              .put("role", "assistant");
      message
          .putArray("content")
          .addObject()
          .put("type", "output_text")
          .put("text", text)
          .putArray("annotations");
    }
    return response;
  }

  private ObjectNode message(String model) {
    ObjectNode message =
        JSON.createObjectNode()
            .put("id", "msg_stub" + ids.incrementAndGet())
            .put("type", "message")
            .put("role", "assistant")
            .put("model", model);
    message.putNull("stop_sequence");
    return message;
  }

  // --- streams ------------------------------------------------------------------------------

  private void stream(
      HttpServerResponse response,
      Api api,
      JsonNode request,
      long chunkDelayMs,
      AtomicLong written) {
    response
        .setChunked(true)
        .putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache");
    Iterator<String> events =
        switch (api) {
          case CHAT -> chatEvents(request);
          case COMPLETIONS -> completionEvents(request);
          case RESPONSES -> responseEvents(request);
          default -> messageEvents(request);
        };
    pump(response, events, chunkDelayMs, written);
  }

  /**
   * Writes events until the connection's queue is full, then waits for it to drain: a reader that
   * stops reading stops the stub, whatever the answer's size.
   */
  private void pump(
      HttpServerResponse response, Iterator<String> events, long chunkDelayMs, AtomicLong written) {
    while (!response.closed() && events.hasNext()) {
      Buffer event = Buffer.buffer(events.next());
      if (written != null) {
        written.addAndGet(event.length());
      }
      response.write(event);
      if (!events.hasNext()) {
        response.end();
        return;
      }
      if (chunkDelayMs > 0) {
        vertx.setTimer(chunkDelayMs, t -> pump(response, events, chunkDelayMs, written));
        return;
      }
      if (response.writeQueueFull()) {
        response.drainHandler(v -> pump(response, events, chunkDelayMs, written));
        return;
      }
    }
  }

  /** {@code before}, then one event per output token from {@code token}, then {@code after}. */
  private static Iterator<String> events(
      List<String> before, int tokens, IntFunction<String> token, List<String> after) {
    return new Iterator<>() {
      private int next;

      @Override
      public boolean hasNext() {
        return next < before.size() + tokens + after.size();
      }

      @Override
      public String next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        int i = next++;
        if (i < before.size()) {
          return before.get(i);
        }
        i -= before.size();
        return i < tokens ? token.apply(i) : after.get(i - tokens);
      }
    };
  }

  private Iterator<String> chatEvents(JsonNode request) {
    String id = "chatcmpl-stub-" + ids.incrementAndGet();
    String model = request.path("model").asText();
    long created = System.currentTimeMillis() / 1000;
    boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
    int tokens = completionTokens(Api.CHAT, request);
    IntFunction<String> token =
        index -> {
          ObjectNode chunk = chunkHeader(id, "chat.completion.chunk", model, created);
          ObjectNode choice = chunk.putArray("choices").addObject();
          choice.put("index", 0).putObject("delta").put("content", tokenText(request, index));
          if (index == tokens - 1) {
            choice.put("finish_reason", "stop");
          } else {
            choice.putNull("finish_reason");
          }
          if (includeUsage) {
            chunk.putNull("usage");
          }
          return data(chunk);
        };
    return events(List.of(), tokens, token, usageThenDone(request, Api.CHAT, id, model, created));
  }

  private Iterator<String> completionEvents(JsonNode request) {
    String id = "cmpl-stub-" + ids.incrementAndGet();
    String model = request.path("model").asText();
    long created = System.currentTimeMillis() / 1000;
    int tokens = completionTokens(Api.COMPLETIONS, request);
    IntFunction<String> token =
        index -> {
          ObjectNode chunk = chunkHeader(id, "text_completion", model, created);
          ObjectNode choice = chunk.putArray("choices").addObject();
          choice.put("index", 0).put("text", tokenText(request, index)).putNull("logprobs");
          if (index == tokens - 1) {
            choice.put("finish_reason", "stop");
          } else {
            choice.putNull("finish_reason");
          }
          return data(chunk);
        };
    return events(
        List.of(), tokens, token, usageThenDone(request, Api.COMPLETIONS, id, model, created));
  }

  private static List<String> usageThenDone(
      JsonNode request, Api api, String id, String model, long created) {
    if (!request.path("stream_options").path("include_usage").asBoolean(false)) {
      return List.of(DONE);
    }
    String object = api == Api.CHAT ? "chat.completion.chunk" : "text_completion";
    ObjectNode chunk = chunkHeader(id, object, model, created);
    chunk.putArray("choices");
    chunk.set("usage", usage(api, request));
    return List.of(data(chunk), DONE);
  }

  /**
   * The Responses stream as OpenAI sends it for one text message: created, in_progress, the message
   * item and its text part announced (output_item.added, content_part.added), the deltas, then each
   * closed with its full text (output_text.done, content_part.done, output_item.done) and
   * completed. The SDKs' stream helpers rebuild the response from these events and fail on a delta
   * for an item or part they were not told about.
   */
  private Iterator<String> responseEvents(JsonNode request) {
    String model = request.path("model").asText();
    int tokens = completionTokens(Api.RESPONSES, request);
    String fullText = text(request, tokens);
    ObjectNode created = response(request, model, "in_progress", null);
    created.putNull("usage");
    String itemId = "msg_stub" + ids.get();
    ObjectNode completed = created.deepCopy();
    completed.put("status", "completed");
    completed.setAll(response(request, model, "completed", fullText).retain("output"));
    completed.set("usage", usage(Api.RESPONSES, request));
    ObjectNode item =
        JSON.createObjectNode()
            .put("id", itemId)
            .put("type", "message")
            .put("status", "in_progress")
            .put("role", "assistant");
    item.putArray("content");
    ObjectNode doneItem = item.deepCopy().put("status", "completed");
    ObjectNode emptyPart = JSON.createObjectNode().put("type", "output_text").put("text", "");
    emptyPart.putArray("annotations");
    ObjectNode fullPart = emptyPart.deepCopy().put("text", fullText);
    doneItem.putArray("content").add(fullPart);
    // Sequence numbers: 4 events before the deltas, one per delta, 4 after.
    List<String> head =
        List.<JsonNode>of(
                responseEvent("response.created", 0).set("response", created),
                responseEvent("response.in_progress", 1).set("response", created),
                responseEvent("response.output_item.added", 2)
                    .put("output_index", 0)
                    .set("item", item),
                inText(responseEvent("response.content_part.added", 3), itemId)
                    .set("part", emptyPart))
            .stream()
            .map(StubUpstream::namedByType)
            .toList();
    IntFunction<String> delta =
        index ->
            namedByType(
                inText(responseEvent("response.output_text.delta", 4 + index), itemId)
                    .put("delta", tokenText(request, index)));
    int after = 4 + tokens;
    List<String> tail =
        List.<JsonNode>of(
                inText(responseEvent("response.output_text.done", after), itemId)
                    .put("text", fullText),
                inText(responseEvent("response.content_part.done", after + 1), itemId)
                    .set("part", fullPart),
                responseEvent("response.output_item.done", after + 2)
                    .put("output_index", 0)
                    .set("item", doneItem),
                responseEvent("response.completed", after + 3).set("response", completed))
            .stream()
            .map(StubUpstream::namedByType)
            .toList();
    return events(head, tokens, delta, tail);
  }

  private static String namedByType(JsonNode event) {
    return named(event.get("type").asText(), event);
  }

  private static ObjectNode responseEvent(String type, int sequence) {
    return JSON.createObjectNode().put("type", type).put("sequence_number", sequence);
  }

  /** The fields locating an event in the one message's one text part. */
  private static ObjectNode inText(ObjectNode event, String itemId) {
    return event.put("item_id", itemId).put("output_index", 0).put("content_index", 0);
  }

  private Iterator<String> messageEvents(JsonNode request) {
    String model = request.path("model").asText();
    int tokens = completionTokens(Api.MESSAGES, request);
    ObjectNode message = message(model);
    message.putArray("content");
    message.putNull("stop_reason");
    message
        .putObject("usage")
        .put("input_tokens", promptTokens(Api.MESSAGES, request))
        .put("output_tokens", 1);
    ObjectNode start = JSON.createObjectNode().put("type", "message_start");
    start.set("message", message);
    ObjectNode blockStart =
        JSON.createObjectNode().put("type", "content_block_start").put("index", 0);
    blockStart.putObject("content_block").put("type", "text").put("text", "");
    IntFunction<String> delta =
        index -> {
          ObjectNode event =
              JSON.createObjectNode().put("type", "content_block_delta").put("index", 0);
          event.putObject("delta").put("type", "text_delta").put("text", tokenText(request, index));
          return named("content_block_delta", event);
        };
    ObjectNode messageDelta = JSON.createObjectNode().put("type", "message_delta");
    messageDelta.putObject("delta").put("stop_reason", "end_turn").putNull("stop_sequence");
    messageDelta.putObject("usage").put("output_tokens", tokens);
    return events(
        List.of(named("message_start", start), named("content_block_start", blockStart)),
        tokens,
        delta,
        List.of(
            named(
                "content_block_stop",
                JSON.createObjectNode().put("type", "content_block_stop").put("index", 0)),
            named("message_delta", messageDelta),
            named("message_stop", JSON.createObjectNode().put("type", "message_stop"))));
  }

  private static ObjectNode chunkHeader(String id, String object, String model, long created) {
    return JSON.createObjectNode()
        .put("id", id)
        .put("object", object)
        .put("created", created)
        .put("model", model);
  }

  private static String data(JsonNode payload) {
    return "data: " + payload + "\n\n";
  }

  private static String named(String event, JsonNode payload) {
    return "event: " + event + "\ndata: " + payload + "\n\n";
  }

  private static void error(
      HttpServerResponse response, Api api, int status, String code, String message) {
    ObjectNode error = JSON.createObjectNode();
    if (api == Api.MESSAGES) {
      error.put("type", "error");
      error
          .putObject("error")
          .put("type", status == 401 ? "authentication_error" : "api_error")
          .put("message", message);
    } else {
      error
          .putObject("error")
          .put("message", message)
          .put("type", status >= 500 ? "server_error" : "invalid_request_error")
          .put("code", code);
    }
    response
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(error.toString());
  }
}
