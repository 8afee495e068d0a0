package dev.tollgate.controlplane.errors;

import dev.tollgate.controlplane.admin.ProblemException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * The position after the last error of a page: its (occurred_at, id), the key the list is ordered
 * by. Encoded opaquely (base64url of "micros:id") so clients do not build their own; microseconds
 * are PostgreSQL's timestamp precision, so the position is exact.
 */
record ErrorCursor(Instant occurredAt, long id) {

  static ErrorCursor after(ErrorEventView last) {
    return new ErrorCursor(last.occurredAt(), last.id());
  }

  String encode() {
    long micros =
        Math.addExact(
            Math.multiplyExact(occurredAt.getEpochSecond(), 1_000_000L),
            occurredAt.getNano() / 1_000);
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString((micros + ":" + id).getBytes(StandardCharsets.US_ASCII));
  }

  static ErrorCursor decode(String field, String raw) {
    try {
      String text = new String(Base64.getUrlDecoder().decode(raw), StandardCharsets.US_ASCII);
      int colon = text.indexOf(':');
      long micros = Long.parseLong(text.substring(0, colon));
      long id = Long.parseLong(text.substring(colon + 1));
      return new ErrorCursor(
          Instant.ofEpochSecond(
              Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000),
          id);
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      throw ProblemException.badRequest(
          field, field + " is not a cursor this list returned (pass next_cursor unchanged)");
    }
  }
}
