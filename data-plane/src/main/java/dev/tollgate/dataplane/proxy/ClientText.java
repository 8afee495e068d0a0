package dev.tollgate.dataplane.proxy;

/**
 * Text a client sent, made fit to be echoed in an error message or kept with the request's outcome:
 * control characters (NUL included) and unpaired surrogates replaced by U+FFFD, and cut to a bound.
 * A client's model name is written back in messages like {@code model_not_found}'s and stored with
 * error events; neither may carry bytes a terminal, a log or PostgreSQL (which refuses NUL in text)
 * would choke on, nor grow with what a client sends.
 */
final class ClientText {

  /** Longest client text kept: a model name's bound on the control plane. */
  static final int MAX_CHARS = 200;

  private static final char REPLACEMENT = '\uFFFD';

  private ClientText() {}

  /** {@code text} cleaned and cut to {@link #MAX_CHARS}; "" for null. */
  static String clean(String text) {
    if (text == null) {
      return "";
    }
    int end = Math.min(text.length(), MAX_CHARS);
    if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
      end--; // never cut a surrogate pair in two
    }
    StringBuilder out = null;
    for (int i = 0; i < end; i++) {
      char c = text.charAt(i);
      boolean pair =
          Character.isHighSurrogate(c)
              && i + 1 < end
              && Character.isLowSurrogate(text.charAt(i + 1));
      boolean bad =
          Character.isISOControl(c) || (Character.isSurrogate(c) && !pair && !lowOfPair(text, i));
      if (bad && out == null) {
        out = new StringBuilder(end).append(text, 0, i);
      }
      if (out != null) {
        out.append(bad ? REPLACEMENT : c);
      }
    }
    if (out != null) {
      return out.toString();
    }
    return end == text.length() ? text : text.substring(0, end);
  }

  private static boolean lowOfPair(String text, int i) {
    return Character.isLowSurrogate(text.charAt(i))
        && i > 0
        && Character.isHighSurrogate(text.charAt(i - 1));
  }
}
