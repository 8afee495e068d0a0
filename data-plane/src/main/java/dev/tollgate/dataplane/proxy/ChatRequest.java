package dev.tollgate.dataplane.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;

/**
 * A request body of any proxied endpoint, parsed once: what routing and usage need ({@code model},
 * {@code stream}, {@code stream_options.include_usage}), and the body to send upstream.
 */
final class ChatRequest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Buffer raw;
  private final ObjectNode tree;
  private final String model;
  private final boolean stream;
  private final boolean clientAskedUsage;

  private ChatRequest(Buffer raw, ObjectNode tree, boolean streamUsageOptIn) {
    this.raw = raw;
    this.tree = tree;
    JsonNode model = tree.get("model");
    this.model = model != null && model.isTextual() ? model.textValue() : "";
    this.stream = tree.path("stream").asBoolean(false);
    // Where usage is not opt-in (responses, messages) the upstream streams it anyway.
    this.clientAskedUsage =
        !streamUsageOptIn || tree.path("stream_options").path("include_usage").asBoolean(false);
  }

  /** The parsed chat-completions body, or null when it is not a JSON object. */
  static ChatRequest parse(Buffer body) {
    return parse(body, true);
  }

  /**
   * The parsed body, or null when it is not a JSON object.
   *
   * @param streamUsageOptIn whether the endpoint streams usage only when asked ({@code
   *     stream_options.include_usage}, chat and completions), so the gateway must ask for it
   */
  static ChatRequest parse(Buffer body, boolean streamUsageOptIn) {
    try {
      JsonNode tree = JSON.readTree(body.getBytes());
      return tree instanceof ObjectNode object
          ? new ChatRequest(body, object, streamUsageOptIn)
          : null;
    } catch (Exception notJson) {
      return null;
    }
  }

  /** Size of the client's body, bytes (the input estimate when the upstream reports no usage). */
  int bodyBytes() {
    return raw.length();
  }

  /** The public model name asked for; empty when missing. */
  String model() {
    return model;
  }

  /** Whether the client asked for Server-Sent Events. */
  boolean stream() {
    return stream;
  }

  /** Whether usage must be hidden from the client: it streams and did not ask for usage. */
  boolean hideUsage() {
    return stream && !clientAskedUsage;
  }

  /**
   * The body for the upstream: the client's bytes unchanged unless the model is mapped or usage
   * must be asked for on the client's behalf (then re-serialised once).
   */
  Buffer upstreamBody(String upstreamModel) {
    boolean mapModel = !upstreamModel.equals(model);
    boolean askUsage = hideUsage();
    if (!mapModel && !askUsage) {
      return raw;
    }
    if (mapModel) {
      tree.put("model", upstreamModel);
    }
    if (askUsage) {
      JsonNode options = tree.get("stream_options");
      ObjectNode streamOptions =
          options instanceof ObjectNode object ? object : tree.putObject("stream_options");
      streamOptions.put("include_usage", true);
    }
    try {
      return Buffer.buffer(JSON.writeValueAsBytes(tree));
    } catch (Exception e) {
      throw new IllegalStateException("a parsed JSON tree always serialises", e);
    }
  }
}
