package dev.tollgate.dataplane.upstream;

/**
 * Counts the characters of generated text in a slice of JSON bytes without parsing it into a tree:
 * the string values of the members {@link UsageFields#isText} also names ({@code "content":"…"},
 * {@code "text":"…"}, {@code "delta":"…"}, …). One pass over the bytes, no allocation; code points
 * are counted, an escape sequence as one character.
 */
final class TextCounter {

  private static final byte[][] TEXT_KEYS = {
    ascii("content"),
    ascii("text"),
    ascii("arguments"),
    ascii("delta"),
    ascii("partial_json"),
    ascii("refusal")
  };

  private TextCounter() {}

  /** Characters of text-member string values in {@code data[from, to)}. */
  static long count(byte[] data, int from, int to) {
    long chars = 0;
    int i = from;
    int keyStart = -1;
    int keyEnd = -1;
    while (i < to) {
      if (data[i] != '"') {
        i++;
        continue;
      }
      int stringStart = i + 1;
      int stringEnd = endOfString(data, stringStart, to);
      if (stringEnd < 0) {
        break;
      }
      int next = skipSpaces(data, stringEnd + 1, to);
      if (next < to && data[next] == ':') {
        // A member name: remember it; its value follows.
        keyStart = stringStart;
        keyEnd = stringEnd;
        i = next + 1;
        continue;
      }
      if (keyStart >= 0 && isTextKey(data, keyStart, keyEnd)) {
        chars += characters(data, stringStart, stringEnd);
      }
      keyStart = -1;
      i = stringEnd + 1;
    }
    return chars;
  }

  /** Index of the closing quote of a string whose content starts at {@code from}, or -1. */
  private static int endOfString(byte[] data, int from, int to) {
    for (int i = from; i < to; i++) {
      if (data[i] == '\\') {
        i++;
      } else if (data[i] == '"') {
        return i;
      }
    }
    return -1;
  }

  private static int skipSpaces(byte[] data, int from, int to) {
    int i = from;
    while (i < to && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n')) {
      i++;
    }
    return i;
  }

  private static boolean isTextKey(byte[] data, int from, int to) {
    for (byte[] key : TEXT_KEYS) {
      if (java.util.Arrays.equals(data, from, to, key, 0, key.length)) {
        return true;
      }
    }
    return false;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  private static long characters(byte[] data, int from, int to) {
    long chars = 0;
    for (int i = from; i < to; i++) {
      byte b = data[i];
      if (b == '\\') {
        // \\uXXXX is one character, any other escape is two bytes for one.
        i += i + 1 < to && data[i + 1] == 'u' ? 5 : 1;
        chars++;
      } else if ((b & 0xC0) != 0x80) {
        chars++;
      }
    }
    return chars;
  }
}
