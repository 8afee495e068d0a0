package dev.tollgate.dataplane.upstream;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The token counts of one {@code usage} object, in either naming: OpenAI's chat, completions and
 * embeddings ({@code prompt_tokens}, {@code completion_tokens}, {@code total_tokens}), or the
 * Responses and Anthropic APIs' ({@code input_tokens}, {@code output_tokens}, and Anthropic's
 * {@code cache_creation_input_tokens} and {@code cache_read_input_tokens}, which are input the
 * provider bills too). A field seen later replaces the same field seen earlier, so Anthropic's
 * {@code message_delta} (final output count) overrides {@code message_start}'s.
 */
final class UsageFields {

  private long prompt;
  private long cacheCreation;
  private long cacheRead;
  private long completion;
  private long total = -1;

  /** Takes one numeric field of a usage object; other names are ignored. */
  void put(String name, long value) {
    if (name == null) {
      return;
    }
    switch (name) {
      case "prompt_tokens", "input_tokens" -> prompt = value;
      case "cache_creation_input_tokens" -> cacheCreation = value;
      case "cache_read_input_tokens" -> cacheRead = value;
      case "completion_tokens", "output_tokens" -> completion = value;
      case "total_tokens" -> total = value;
      default -> {}
    }
  }

  /** Takes every numeric field of a usage object. */
  void putAll(JsonNode usage) {
    for (var field : usage.properties()) {
      if (field.getValue().isIntegralNumber()) {
        put(field.getKey(), field.getValue().asLong());
      }
    }
  }

  /** The counts; the total is the reported one, or input + output when none was reported. */
  TokenUsage usage() {
    long input = prompt + cacheCreation + cacheRead;
    return new TokenUsage(input, completion, total >= 0 ? total : input + completion);
  }

  /** Whether a JSON string under this name is generated text (for estimates). */
  static boolean isText(String name) {
    return name != null
        && switch (name) {
          case "content", "text", "arguments", "delta", "partial_json", "refusal" -> true;
          default -> false;
        };
  }
}
