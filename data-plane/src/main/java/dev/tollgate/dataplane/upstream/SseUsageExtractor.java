package dev.tollgate.dataplane.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads usage from a streamed answer (Server-Sent Events): the chat or completions chunk whose
 * {@code usage} is an object, which OpenAI sends last when {@code stream_options.include_usage} is
 * true; the {@code response} of a Responses API {@code response.completed} event; Anthropic's
 * {@code message_start} (input) and {@code message_delta} (final output) events.
 *
 * <p>Complete events are forwarded as soon as their blank-line terminator arrives; only the tail of
 * an unfinished event is held back. When the gateway asked for usage on the client's behalf ({@code
 * hideUsage}), the usage-only event (empty {@code choices}) is dropped and the {@code "usage":null}
 * members OpenAI adds to the other chunks are removed, so the client sees the stream a plain call
 * would give.
 */
public final class SseUsageExtractor implements UsageExtractor {

  /** An event larger than this is forwarded as-is and not inspected, to bound memory. */
  static final int MAX_HELD_EVENT_BYTES = 1 << 20;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] USAGE = bytes("\"usage\"");
  private static final byte[] RESPONSES_EVENT = bytes("\"type\":\"response.");
  private static final byte[] DELTA_EVENT = bytes(".delta\"");
  private static final byte[][] NULL_USAGE = {
    bytes(",\"usage\":null"), bytes(", \"usage\": null"), bytes(",\"usage\": null")
  };

  private final boolean hideUsage;
  private byte[] held = new byte[0];
  private boolean passThrough;
  private final UsageFields fields = new UsageFields();
  private boolean found;
  private boolean usageFinal;
  private long textChars;

  /**
   * @param hideUsage true when the client did not ask for usage and the gateway did on its behalf
   */
  public SseUsageExtractor(boolean hideUsage) {
    this.hideUsage = hideUsage;
  }

  @Override
  public Buffer onChunk(Buffer chunk) {
    if (passThrough) {
      return chunk;
    }
    byte[] data = concat(held, chunk.getBytes());
    int complete = lastEventEnd(data);
    if (complete < 0) {
      if (data.length > MAX_HELD_EVENT_BYTES) {
        passThrough = true;
        held = new byte[0];
        return Buffer.buffer(data);
      }
      held = data;
      return Buffer.buffer();
    }
    boolean whole = complete == data.length;
    boolean fresh = held.length == 0;
    held = whole ? new byte[0] : slice(data, complete, data.length);
    byte[] out = processEvents(data, complete);
    // The common case, a chunk of whole events forwarded unchanged, goes out as it came: no copy.
    return fresh && whole && out == data ? chunk : Buffer.buffer(out);
  }

  @Override
  public Buffer onEnd() {
    if (held.length == 0) {
      return Buffer.buffer();
    }
    byte[] tail = held;
    held = new byte[0];
    return Buffer.buffer(passThrough ? tail : processEvents(tail, tail.length));
  }

  @Override
  public TokenUsage usage() {
    return found ? fields.usage() : TokenUsage.NONE;
  }

  @Override
  public boolean usageFinal() {
    return usageFinal;
  }

  @Override
  public long textChars() {
    return textChars;
  }

  /** Forwards events in data[0, end), inspecting only those that mention "usage". */
  private byte[] processEvents(byte[] data, int end) {
    ByteArrayOutputStream out = null;
    int start = 0;
    while (start < end) {
      int eventEnd = nextEventEnd(data, start, end);
      if (eventEnd < 0) {
        eventEnd = end;
      }
      if (!repeatsText(data, start, eventEnd)) {
        textChars += TextCounter.count(data, start, eventEnd);
      }
      byte[] rewritten = inspect(data, start, eventEnd);
      if (rewritten != null && out == null) {
        out = new ByteArrayOutputStream(end);
        out.write(data, 0, start);
      }
      if (out != null) {
        if (rewritten != null) {
          out.write(rewritten, 0, rewritten.length);
        } else {
          out.write(data, start, eventEnd - start);
        }
      }
      start = eventEnd;
    }
    if (out == null) {
      return end == data.length ? data : slice(data, 0, end);
    }
    return out.toByteArray();
  }

  /** Null to forward the event unchanged, otherwise its replacement (possibly empty). */
  private byte[] inspect(byte[] data, int start, int end) {
    if (indexOf(data, USAGE, start, end) < 0) {
      return null;
    }
    JsonNode payload = payload(data, start, end);
    if (payload == null) {
      return null;
    }
    if (payload.path("response").path("usage").isObject()) {
      // Responses API: response.completed (or .incomplete / .failed) carries the request's usage.
      take(payload.get("response").get("usage"), true);
      return null;
    }
    if (payload.path("message").path("usage").isObject()) {
      // Anthropic message_start: the input is known, the output only from message_delta.
      take(payload.get("message").get("usage"), false);
      return null;
    }
    if (payload.path("usage").isObject()) {
      take(payload.get("usage"), true);
      if (hideUsage && payload.path("choices").isArray() && payload.get("choices").isEmpty()) {
        return new byte[0];
      }
      return null;
    }
    if (!hideUsage) {
      return null;
    }
    for (byte[] pattern : NULL_USAGE) {
      int at = indexOf(data, pattern, start, end);
      if (at >= 0) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(end - start);
        out.write(data, start, at - start);
        out.write(data, at + pattern.length, end - at - pattern.length);
        return out.toByteArray();
      }
    }
    return null;
  }

  /**
   * Whether the event is a Responses API summary (…{@code .done}, {@code response.completed}) that
   * repeats text its {@code .delta} events already carried: counting it would count text twice.
   */
  private static boolean repeatsText(byte[] data, int start, int end) {
    return indexOf(data, RESPONSES_EVENT, start, end) >= 0
        && indexOf(data, DELTA_EVENT, start, end) < 0;
  }

  private void take(JsonNode usage, boolean isFinal) {
    fields.putAll(usage);
    found = true;
    usageFinal |= isFinal;
  }

  /** The JSON of the event's data lines, or null when it is not JSON (e.g. [DONE]). */
  private static JsonNode payload(byte[] data, int start, int end) {
    String event = new String(data, start, end - start, StandardCharsets.UTF_8);
    StringBuilder json = new StringBuilder();
    for (String line : event.split("\r?\n")) {
      if (line.startsWith("data:")) {
        json.append(line, line.startsWith("data: ") ? 6 : 5, line.length()).append('\n');
      }
    }
    try {
      return JSON.readTree(json.toString());
    } catch (Exception notJson) {
      return null;
    }
  }

  /** End (exclusive) of the first event starting at {@code from}, or -1 if it is unfinished. */
  private static int nextEventEnd(byte[] data, int from, int limit) {
    for (int i = from; i < limit - 1; i++) {
      if (data[i] == '\n') {
        if (data[i + 1] == '\n') {
          return i + 2;
        }
        if (data[i + 1] == '\r' && i + 2 < limit && data[i + 2] == '\n') {
          return i + 3;
        }
      }
    }
    return -1;
  }

  private static int lastEventEnd(byte[] data) {
    int last = -1;
    int from = 0;
    int end;
    while ((end = nextEventEnd(data, from, data.length)) >= 0) {
      last = end;
      from = end;
    }
    return last;
  }

  private static int indexOf(byte[] data, byte[] pattern, int from, int to) {
    outer:
    for (int i = from; i <= to - pattern.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    if (a.length == 0) {
      return b;
    }
    byte[] joined = new byte[a.length + b.length];
    System.arraycopy(a, 0, joined, 0, a.length);
    System.arraycopy(b, 0, joined, a.length, b.length);
    return joined;
  }

  private static byte[] slice(byte[] data, int from, int to) {
    byte[] part = new byte[to - from];
    System.arraycopy(data, from, part, 0, part.length);
    return part;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
