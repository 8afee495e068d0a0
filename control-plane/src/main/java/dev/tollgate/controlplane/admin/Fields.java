package dev.tollgate.controlplane.admin;

import java.util.HashSet;
import java.util.List;

/** Checks shared by the admin API's request bodies; each failure names the field. */
public final class Fields {

  /** The schema's limit on names (CHECK length BETWEEN 1 AND 200). */
  public static final int MAX_NAME_LENGTH = 200;

  private Fields() {}

  public static <T> T required(String field, T value) {
    if (value == null) {
      throw ProblemException.badRequest(field, field + " is required");
    }
    return value;
  }

  public static String name(String field, String value) {
    required(field, value);
    if (value.isBlank()) {
      throw ProblemException.badRequest(field, field + " must not be blank");
    }
    if (value.length() > MAX_NAME_LENGTH) {
      throw ProblemException.badRequest(
          field, field + " must be at most " + MAX_NAME_LENGTH + " characters");
    }
    return value;
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

  /** Distinct, non-blank names (model lists); null means an empty list unless required. */
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
    var seen = new HashSet<String>();
    for (String value : values) {
      if (value == null || value.isBlank()) {
        throw ProblemException.badRequest(field, field + " must not contain blank entries");
      }
      if (value.length() > MAX_NAME_LENGTH) {
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
