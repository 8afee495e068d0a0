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

  /** Characters per token of the estimate; OpenAI's rule of thumb for English text. */
  static final int CHARS_PER_TOKEN = 4;

  /**
   * An estimate for an answer cut before the upstream reported its final usage: whatever it did
   * report is kept, the input is otherwise estimated from the request body's size, the output from
   * the text relayed so far, at {@value #CHARS_PER_TOKEN} characters (or bytes) per token, rounded
   * up.
   */
  public static TokenUsage estimate(TokenUsage reported, long requestBytes, long textChars) {
    long prompt = reported.promptTokens() > 0 ? reported.promptTokens() : perToken(requestBytes);
    long completion = Math.max(reported.completionTokens(), perToken(textChars));
    return new TokenUsage(prompt, completion, prompt + completion);
  }

  private static long perToken(long chars) {
    return (chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN;
  }
}
