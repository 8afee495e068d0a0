package dev.tollgate.controlplane.admin;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * The position after the last row of a page in a list ordered by (time, id), newest first: its time
 * and id. Encoded opaquely (base64url of "micros:id") so clients pass it back rather than build
 * one; microseconds are PostgreSQL's timestamp precision, so the position is exact. Lists ordered
 * by id alone use {@link #encodeId} and {@link #decodeId}.
 */
public record KeysetCursor(Instant at, long id) {

  public String encode() {
    long micros =
        Math.addExact(Math.multiplyExact(at.getEpochSecond(), 1_000_000L), at.getNano() / 1_000);
    return base64(micros + ":" + id);
  }

  public static KeysetCursor decode(String field, String raw) {
    try {
      String text = text(raw);
      int colon = text.indexOf(':');
      long micros = Long.parseLong(text.substring(0, colon));
      long id = Long.parseLong(text.substring(colon + 1));
      return new KeysetCursor(
          Instant.ofEpochSecond(
              Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000),
          id);
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      throw invalid(field);
    }
  }

  public static String encodeId(long id) {
    return base64(Long.toString(id));
  }

  public static long decodeId(String field, String raw) {
    try {
      return Long.parseLong(text(raw));
    } catch (IllegalArgumentException e) {
      throw invalid(field);
    }
  }

  private static String base64(String text) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(text.getBytes(StandardCharsets.US_ASCII));
  }

  private static String text(String raw) {
    return new String(Base64.getUrlDecoder().decode(raw), StandardCharsets.US_ASCII);
  }

  private static ProblemException invalid(String field) {
    return ProblemException.badRequest(
        field, field + " is not a cursor this list returned (pass next_cursor unchanged)");
  }
}
