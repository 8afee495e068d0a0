package dev.tollgate.controlplane.admin;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The one rule for text the admin API takes in, wherever it arrives (JSON strings and keys, query
 * parameters, path segments): no NUL character and no lone surrogate, and URI parts must be valid
 * UTF-8 once %-decoded.
 *
 * <p>Why: PostgreSQL's {@code text} cannot hold U+0000 (the insert fails, which used to surface as
 * a 500), and a lone surrogate is not a character at all: JDBC would store it as "?", a value the
 * operator never sent. A %-escape that is not UTF-8 (a stray byte, or a surrogate encoded on its
 * own, {@code %ED%A0%80}) would be decoded to U+FFFD just as silently. Each is refused with a 400
 * naming the field instead.
 */
final class InputText {

  static final String NUL = "must not contain a NUL character (U+0000)";
  static final String LONE_SURROGATE =
      "must not contain a lone surrogate (half of a UTF-16 pair is not a character)";
  static final String NOT_UTF8 = "is not valid UTF-8 once %-decoded";
  static final String BAD_ESCAPE = "has a malformed %-escape";

  private InputText() {}

  /** Why {@code value} cannot be taken as sent, or null when it can. */
  static String flaw(CharSequence value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\0') {
        return NUL;
      }
      if (Character.isHighSurrogate(c)
          && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return LONE_SURROGATE;
      }
    }
    return null;
  }

  /**
   * {@code value} with every NUL and lone surrogate replaced by U+FFFD, for echoing a refused value
   * (an unknown field's name) in an answer that must itself be valid JSON.
   */
  static String printable(String value) {
    if (value == null || flaw(value) == null) {
      return value;
    }
    var out = new StringBuilder(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        out.append(c).append(value.charAt(++i));
      } else {
        out.append(c == '\0' || Character.isSurrogate(c) ? '\uFFFD' : c);
      }
    }
    return out.toString();
  }

  /**
   * Why the raw (still %-encoded) URI component cannot be taken, or null when it can. Characters
   * above U+007F stand for the raw bytes of the request line, as the HTTP decoder reads them
   * (ISO-8859-1), so unencoded UTF-8 is judged byte by byte too.
   */
  static String uriFlaw(String raw) {
    var bytes = ByteBuffer.allocate(raw.length() * 3);
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          return BAD_ESCAPE;
        }
        int high = Character.digit(raw.charAt(i + 1), 16);
        int low = Character.digit(raw.charAt(i + 2), 16);
        if (high < 0 || low < 0) {
          return BAD_ESCAPE;
        }
        bytes.put((byte) (high << 4 | low));
        i += 2;
      } else if (c > 0xFF) {
        // Not from the HTTP decoder, which yields only chars up to U+00FF: a character, not a byte.
        int end = Character.isHighSurrogate(c) && i + 1 < raw.length() ? i + 2 : i + 1;
        String character = raw.substring(i, end);
        if (flaw(character) != null) {
          return LONE_SURROGATE;
        }
        bytes.put(character.getBytes(StandardCharsets.UTF_8));
        i = end - 1;
      } else {
        bytes.put((byte) c);
      }
    }
    bytes.flip();
    try {
      CharSequence decoded =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(bytes);
      return flaw(decoded);
    } catch (CharacterCodingException e) {
      return NOT_UTF8;
    }
  }
}
