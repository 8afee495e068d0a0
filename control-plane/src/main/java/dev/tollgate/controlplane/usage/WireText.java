package dev.tollgate.controlplane.usage;

/**
 * The control plane's half of usage.proto's "Text on the wire": which strings a flush may carry.
 * Valid text has no control character (U+0000..U+001F, U+007F..U+009F) and no unpaired surrogate,
 * and its length in code points lies within the field's bounds. The data plane cleans and cuts its
 * strings to exactly this rule; the vectors in the proto module's {@code wire-text-vectors.json}
 * are run against both halves. Nothing that passes here can be refused by PostgreSQL as text (a
 * NUL, in particular, never reaches it).
 */
final class WireText {

  /** Longest dp_instance_id, in code points. */
  static final int MAX_INSTANCE_ID = 128;

  /** Longest model of a bucket or an error event, in code points. */
  static final int MAX_MODEL = 200;

  /** Longest error_class, in code points. */
  static final int MAX_ERROR_CLASS = 100;

  /** Longest error message, in code points. */
  static final int MAX_MESSAGE = 500;

  /** Longest request_id, in code points. */
  static final int MAX_REQUEST_ID = 200;

  private WireText() {}

  /**
   * What is wrong with {@code value} as text of {@code min..max} code points, or null when nothing
   * is. The answer names the offending character by its code and position, never quotes the text.
   */
  static String problem(String value, int min, int max) {
    int count = 0;
    for (int i = 0; i < value.length(); count++) {
      int codePoint = value.codePointAt(i);
      if (codePoint >= Character.MIN_SURROGATE && codePoint <= Character.MAX_SURROGATE) {
        return "contains an unpaired surrogate U+%04X at code point %d".formatted(codePoint, count);
      }
      if (isControl(codePoint)) {
        return "contains the control character U+%04X at code point %d".formatted(codePoint, count);
      }
      i += Character.charCount(codePoint);
    }
    if (count < min || count > max) {
      return "must be " + min + ".." + max + " code points, was " + count;
    }
    return null;
  }

  static boolean isControl(int codePoint) {
    return codePoint < 0x20 || (codePoint >= 0x7F && codePoint <= 0x9F);
  }
}
