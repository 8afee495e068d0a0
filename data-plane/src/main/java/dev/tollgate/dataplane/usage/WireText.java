package dev.tollgate.dataplane.usage;

/**
 * The data plane's half of usage.proto's "Text on the wire": every string that goes into a flush
 * batch is cleaned and cut here, to exactly the rule the control plane checks, so that nothing a
 * client sends (a NUL in a model name, a lone surrogate in a request id, a megabyte of error text)
 * can make the control plane refuse a part of a batch. The vectors in the proto module's {@code
 * wire-text-vectors.json} are run against both halves.
 *
 * <p>Cleaning: tab, line feed and carriage return become a space; every other control character
 * (U+0000..U+001F, U+007F..U+009F) and every unpaired surrogate becomes U+FFFD. Cutting: at most
 * the field's maximum in code points, never splitting a surrogate pair.
 */
public final class WireText {

  /** Longest model of a bucket or an error event, in code points. */
  public static final int MAX_MODEL = 200;

  /** Longest error_class, in code points. */
  public static final int MAX_ERROR_CLASS = 100;

  /** Longest error message, in code points. */
  public static final int MAX_MESSAGE = 500;

  /** Longest request_id, in code points. */
  public static final int MAX_REQUEST_ID = 200;

  /** Longest dp_instance_id, in code points. */
  public static final int MAX_INSTANCE_ID = 128;

  private static final char REPLACEMENT = '\uFFFD';

  private WireText() {}

  /** {@code text} cleaned and cut to {@code maxCodePoints}; "" for null. */
  public static String clean(String text, int maxCodePoints) {
    if (text == null) {
      return "";
    }
    if (isClean(text, maxCodePoints)) {
      return text;
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), maxCodePoints * 2));
    int count = 0;
    for (int i = 0; i < text.length() && count < maxCodePoints; count++) {
      int codePoint = text.codePointAt(i);
      i += Character.charCount(codePoint);
      if (codePoint == '\t' || codePoint == '\n' || codePoint == '\r') {
        out.append(' ');
      } else if (isControl(codePoint) || isSurrogate(codePoint)) {
        out.append(REPLACEMENT);
      } else {
        out.appendCodePoint(codePoint);
      }
    }
    return out.toString();
  }

  /** The common case, without copying: nothing to replace and short enough. */
  private static boolean isClean(String text, int maxCodePoints) {
    if (text.length() > maxCodePoints && text.codePointCount(0, text.length()) > maxCodePoints) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (isControl(c)) {
        return false;
      }
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isControl(int codePoint) {
    return codePoint < 0x20 || (codePoint >= 0x7F && codePoint <= 0x9F);
  }

  private static boolean isSurrogate(int codePoint) {
    return codePoint >= Character.MIN_SURROGATE && codePoint <= Character.MAX_SURROGATE;
  }
}
