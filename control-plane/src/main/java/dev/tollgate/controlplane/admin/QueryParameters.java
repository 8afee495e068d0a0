package dev.tollgate.controlplane.admin;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * Parses the admin API's query parameters from their raw strings, so a bad value is a 400 naming
 * the parameter (JAX-RS's own conversion would answer 404 or a bare 400 without saying which).
 * Absent (null) means "not given"; an empty value is treated as not given too, as browsers and
 * form-built URLs send {@code ?status_code=} for an empty field.
 */
public final class QueryParameters {

  private QueryParameters() {}

  /** A positive id, or null. */
  public static Long id(String name, String raw) {
    if (absent(raw)) {
      return null;
    }
    long value;
    try {
      value = Long.parseLong(raw.trim());
    } catch (NumberFormatException e) {
      throw ProblemException.badRequest(
          name, name + " must be a positive integer, got \"" + raw + "\"");
    }
    if (value < 1) {
      throw ProblemException.badRequest(name, name + " must be a positive integer, got " + value);
    }
    return value;
  }

  /** An integer within [min, max], or null. */
  public static Integer integer(String name, String raw, int min, int max) {
    if (absent(raw)) {
      return null;
    }
    int value;
    try {
      value = Integer.parseInt(raw.trim());
    } catch (NumberFormatException e) {
      throw ProblemException.badRequest(
          name,
          name + " must be an integer between " + min + " and " + max + ", got \"" + raw + "\"");
    }
    return Fields.range(name, value, min, max);
  }

  /** A page size within [1, max], {@code fallback} when not given. */
  public static int limit(String name, String raw, int fallback, int max) {
    Integer value = integer(name, raw, 1, max);
    return value == null ? fallback : value;
  }

  /** An ISO-8601 instant with a zone or offset ({@code 2030-01-01T00:00:00Z}), or null. */
  public static Instant instant(String name, String raw) {
    if (absent(raw)) {
      return null;
    }
    try {
      return OffsetDateTime.parse(raw.trim()).toInstant();
    } catch (DateTimeParseException e) {
      throw ProblemException.badRequest(
          name,
          name
              + " must be an ISO-8601 timestamp with an offset such as 2030-01-01T00:00:00Z, got \""
              + raw
              + "\"");
    }
  }

  /** A non-blank value of at most {@link Fields#MAX_QUERY_TEXT_LENGTH} characters, or null. */
  public static String text(String name, String raw) {
    if (absent(raw)) {
      return null;
    }
    return Fields.atMost(name, raw, Fields.MAX_QUERY_TEXT_LENGTH);
  }

  public static <T> T required(String name, T value) {
    if (value == null) {
      throw ProblemException.badRequest(name, name + " is required");
    }
    return value;
  }

  private static boolean absent(String raw) {
    return raw == null || raw.isBlank();
  }
}
