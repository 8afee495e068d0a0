package dev.tollgate.dataplane.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The message of an error event for an upstream's error answer: the {@code error.message} of an
 * OpenAI- or Anthropic-shaped body, else the body's start as text; anything that looks like a
 * credential is masked, since error events are stored and shown to operators.
 */
final class UpstreamErrors {

  /** ErrorEvent.message is at most this long (the contract's bound). */
  static final int MAX_MESSAGE_CHARS = 500;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** API keys as providers print them (sk-…, sk-ant-…, tg-…) and bearer tokens. */
  private static final Pattern SECRET =
      Pattern.compile("(?i)\\b(?:sk|tg|rk|pk)-[A-Za-z0-9_*.-]{6,}|\\bbearer\\s+[^\\s\"',]+");

  private UpstreamErrors() {}

  /** The message for an error answer whose first bytes are {@code head}. */
  static String message(Buffer head) {
    String text = head.toString(StandardCharsets.UTF_8);
    try {
      JsonNode error = JSON.readTree(text).path("error");
      JsonNode message = error.isObject() ? error.path("message") : error;
      if (message.isTextual() && !message.textValue().isBlank()) {
        text = message.textValue();
      }
    } catch (Exception notJsonOrCut) {
      // Kept as text: a body that is not JSON, or longer than the head that was kept.
    }
    return redact(text);
  }

  /** {@code text} with credentials masked, cut to {@link #MAX_MESSAGE_CHARS}. */
  static String redact(String text) {
    String masked = SECRET.matcher(text).replaceAll("[redacted]");
    return masked.length() <= MAX_MESSAGE_CHARS ? masked : masked.substring(0, MAX_MESSAGE_CHARS);
  }
}
