package dev.tollgate.controlplane.admin;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;

/**
 * Checks shared by the admin API's request bodies; each failure names the field.
 *
 * <p>The bounds below are the only copy: the checks read them, and the request classes'
 * {@code @Schema(maxLength, maxItems)} annotations name the same constants, so the OpenAPI document
 * shows what is enforced. They keep every entity small enough to travel to the data planes as one
 * bounded message (the largest, a group with 1,000 models and 1,000 mappings of 200 characters, is
 * well under 1 MiB). Lengths count characters (Unicode code points), as PostgreSQL's {@code
 * length()} and JSON Schema's {@code maxLength} do.
 */
public final class Fields {

  /** Names of users, keys, groups and operator tokens; model names (CHECK length 1..200). */
  public static final int MAX_NAME_LENGTH = 200;

  /** A provider key's {@code base_url}. */
  public static final int MAX_URL_LENGTH = 2_048;

  /** A provider key's upstream secret (API keys and tokens; longer is a paste mistake). */
  public static final int MAX_SECRET_LENGTH = 16_384;

  /** A group's {@code models} and {@code model_mapping} pairs; a key's {@code allowed_models}. */
  public static final int MAX_MODELS = 1_000;

  /** A key's {@code ip_allow} and {@code ip_deny}, each. */
  public static final int MAX_CIDRS = 256;

  /**
   * One CIDR: the longest IPv6 text ("ffff:…:255.255.255.255", 45 characters) plus "/128". Longer
   * cannot be an address.
   */
  public static final int MAX_CIDR_LENGTH = 49;

  /** A key's {@code group_ids}. */
  public static final int MAX_GROUP_IDS = 100;

  /** Free-text query parameters ({@code search}, {@code model}, {@code actor}, …). */
  public static final int MAX_QUERY_TEXT_LENGTH = 200;

  private Fields() {}

  public static <T> T required(String field, T value) {
    if (value == null) {
      throw ProblemException.badRequest(field, field + " is required");
    }
    return value;
  }

  /** A non-blank name of 1 to {@link #MAX_NAME_LENGTH} characters. */
  public static String name(String field, String value) {
    required(field, value);
    if (value.isBlank()) {
      throw ProblemException.badRequest(field, field + " must not be blank");
    }
    return atMost(field, value, MAX_NAME_LENGTH);
  }

  /** {@code value} if it has at most {@code max} characters. */
  public static String atMost(String field, String value, int max) {
    if (exceeds(value, max)) {
      throw ProblemException.badRequest(field, field + " must be at most " + max + " characters");
    }
    return value;
  }

  /** {@code values} (null stays null) if it has at most {@code max} entries. */
  public static <C extends Collection<?>> C atMostEntries(String field, C values, int max) {
    if (values != null && values.size() > max) {
      throw ProblemException.badRequest(
          field, field + " must have at most " + max + " entries, got " + values.size());
    }
    return values;
  }

  /** Whether {@code value} has more than {@code max} characters (code points). */
  static boolean exceeds(String value, int max) {
    // A code point is one or two chars: the char count settles most cases without counting.
    if (value.length() <= max) {
      return false;
    }
    return value.length() > 2L * max || value.codePointCount(0, value.length()) > max;
  }

  public static int nonNegative(String field, Integer value, int fallback) {
    if (value == null) {
      return fallback;
    }
    if (value < 0) {
      throw ProblemException.badRequest(field, field + " must be >= 0");
    }
    return value;
  }

  public static int range(String field, Integer value, int min, int max) {
    if (value < min || value > max) {
      throw ProblemException.badRequest(
          field, field + " must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  /**
   * Distinct, non-blank model names of at most {@link #MAX_NAME_LENGTH} characters, at most {@link
   * #MAX_MODELS} of them; null means an empty list unless required.
   */
  public static List<String> distinctNames(String field, List<String> values, boolean required) {
    if (values == null) {
      if (required) {
        throw ProblemException.badRequest(field, field + " is required");
      }
      return List.of();
    }
    if (required && values.isEmpty()) {
      throw ProblemException.badRequest(field, field + " must not be empty");
    }
    atMostEntries(field, values, MAX_MODELS);
    var seen = new HashSet<String>();
    for (String value : values) {
      if (value == null || value.isBlank()) {
        throw ProblemException.badRequest(field, field + " must not contain blank entries");
      }
      if (exceeds(value, MAX_NAME_LENGTH)) {
        throw ProblemException.badRequest(
            field, field + " entries must be at most " + MAX_NAME_LENGTH + " characters");
      }
      if (!seen.add(value)) {
        throw ProblemException.badRequest(field, field + " contains \"" + value + "\" twice");
      }
    }
    return List.copyOf(values);
  }
}
