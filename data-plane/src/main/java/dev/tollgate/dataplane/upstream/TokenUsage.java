package dev.tollgate.dataplane.upstream;

/**
 * Tokens an upstream reported for one request, as it reported them.
 *
 * @param promptTokens input tokens
 * @param completionTokens output tokens
 * @param totalTokens total tokens (may differ from the sum, e.g. with reasoning tokens)
 */
public record TokenUsage(long promptTokens, long completionTokens, long totalTokens) {

  /** A response without usage counts zero tokens. */
  public static final TokenUsage NONE = new TokenUsage(0, 0, 0);
}
