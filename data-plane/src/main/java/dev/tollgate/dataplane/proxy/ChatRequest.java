package dev.tollgate.dataplane.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;

/**
 * A request body of any proxied endpoint, read once: what routing and usage need ({@code model},
 * {@code stream}, {@code stream_options.include_usage}), and the body to send upstream.
 *
 * <p>Read with Jackson's streaming parser, not into a tree: the body is checked to be one JSON
 * object and the three members are picked up on the way, without allocating a node per message.
 * Only a body that must be rewritten (a mapped model, or usage asked for on the client's behalf) is
 * parsed into a tree, once, to be re-serialised.
 */
final class ChatRequest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonFactory FACTORY = JSON.getFactory();

  private final Buffer raw;
  private final String model;
  private final boolean stream;
  private final boolean clientAskedUsage;

  private ChatRequest(Buffer raw, String model, boolean stream, boolean clientAskedUsage) {
    this.raw = raw;
    this.model = model;
    this.stream = stream;
    this.clientAskedUsage = clientAskedUsage;
  }

  /**
   * The body, parsed; or why it cannot be served.
   *
   * @param request the parsed body, null when refused
   * @param refusal {@link ClientError#INVALID_JSON} or {@link ClientError#DUPLICATE_MEMBER}, null
   *     when parsed
   * @param member for a duplicate: the member named twice
   */
  record Parsed(ChatRequest request, ClientError refusal, String member) {}

  /**
   * The parsed body, or why not: not one JSON object, or a member the gateway reads ({@code model},
   * {@code stream}, {@code stream_options}) given twice. A duplicate is refused rather than
   * resolved because parsers disagree on which one wins: the gateway would route and count one
   * model while the upstream serves (and bills) the other.
   *
   * @param streamUsageOptIn whether the endpoint streams usage only when asked ({@code
   *     stream_options.include_usage}: chat and completions), so the gateway asks for it on the
   *     client's behalf; the other endpoints (responses, messages) stream usage anyway
   */
  static Parsed parse(Buffer body, boolean streamUsageOptIn) {
    byte[] bytes = body.getBytes();
    try (JsonParser parser = FACTORY.createParser(bytes)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return INVALID;
      }
      String model = "";
      boolean stream = false;
      boolean askedUsage = false;
      int seen = 0;
      JsonToken token;
      while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        int bit =
            switch (name) {
              case "model" -> 1;
              case "stream" -> 2;
              case "stream_options" -> 4;
              default -> 0;
            };
        if ((seen & bit) != 0) {
          return new Parsed(null, ClientError.DUPLICATE_MEMBER, name);
        }
        seen |= bit;
        if (name.equals("stream_options") && value == JsonToken.START_OBJECT) {
          askedUsage = includeUsage(parser);
          continue;
        }
        if (name.equals("model")) {
          model = value == JsonToken.VALUE_STRING ? parser.getText() : "";
        } else if (name.equals("stream")) {
          stream = value == JsonToken.VALUE_TRUE;
        }
        // An object or array (wherever it stands) is skipped whole, so its members are never
        // taken for the body's own.
        parser.skipChildren();
      }
      if (token != JsonToken.END_OBJECT || parser.nextToken() != null) {
        return INVALID;
      }
      return new Parsed(
          new ChatRequest(body, model, stream, askedUsage || !streamUsageOptIn), null, null);
    } catch (Exception notJson) {
      return INVALID;
    }
  }

  private static final Parsed INVALID = new Parsed(null, ClientError.INVALID_JSON, null);

  /** Size of the client's body, bytes (the input estimate when the upstream reports no usage). */
  int bodyBytes() {
    return raw.length();
  }

  /** Reads the stream_options object the parser is at; true when include_usage is true. */
  private static boolean includeUsage(JsonParser parser) throws java.io.IOException {
    boolean include = false;
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String name = parser.currentName();
      JsonToken value = parser.nextToken();
      if (name.equals("include_usage")) {
        include = value == JsonToken.VALUE_TRUE;
      } else {
        parser.skipChildren();
      }
    }
    return include;
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
    try {
      ObjectNode tree = (ObjectNode) JSON.readTree(raw.getBytes());
      if (mapModel) {
        tree.put("model", upstreamModel);
      }
      if (askUsage) {
        JsonNode options = tree.get("stream_options");
        ObjectNode streamOptions =
            options instanceof ObjectNode object ? object : tree.putObject("stream_options");
        streamOptions.put("include_usage", true);
      }
      return Buffer.buffer(JSON.writeValueAsBytes(tree));
    } catch (Exception e) {
      throw new IllegalStateException("a body that parsed as a JSON object parses again", e);
    }
  }
}
