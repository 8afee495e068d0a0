package dev.tollgate.controlplane.admin;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A validated list request: page or cursor mode, sort, and filters. Every problem is a 400 naming
 * the query parameter.
 *
 * @param page 1-based page number in page mode; 0 in cursor mode
 * @param size page_size in page mode, limit in cursor mode
 * @param after the position the cursor points after, or null (first cursor page, or page mode)
 * @param statuses statuses to keep (empty = any)
 * @param excludedStatuses statuses to leave out
 */
public record ListRequest(
    int page,
    int size,
    Cursor after,
    String sort,
    boolean descending,
    Set<String> statuses,
    Set<String> excludedStatuses,
    Long userId,
    Long groupId,
    String search,
    Instant createdFrom,
    Instant createdTo,
    Instant lastUsedFrom,
    Instant lastUsedTo) {

  public static final int DEFAULT_SIZE = 50;
  public static final int MAX_SIZE = 1000;
  public static final int MIN_SEARCH = 3;

  /** What one list supports; a parameter outside it is refused. */
  public record Spec(
      List<String> sorts,
      Set<String> statuses,
      Set<String> defaultExcluded,
      boolean userFilter,
      boolean groupFilter,
      boolean search,
      boolean lastUsed) {}

  /**
   * A cursor page's position: the sort value (as PostgreSQL prints it) and id of the last item
   * returned. Encoded as base64url of "sort|order|value|id" so a cursor made for one sort cannot be
   * replayed with another.
   */
  public record Cursor(String sort, boolean descending, String value, long id) {

    public String encode() {
      String raw = sort + "|" + (descending ? "desc" : "asc") + "|" + value + "|" + id;
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    static Cursor decode(String encoded) {
      String raw;
      try {
        raw = new String(Base64.getUrlDecoder().decode(encoded), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw badCursor();
      }
      String[] parts = raw.split("\\|", -1);
      if (parts.length != 4 || !(parts[1].equals("asc") || parts[1].equals("desc"))) {
        throw badCursor();
      }
      try {
        return new Cursor(parts[0], parts[1].equals("desc"), parts[2], Long.parseLong(parts[3]));
      } catch (NumberFormatException e) {
        throw badCursor();
      }
    }

    static ProblemException badCursor() {
      return ProblemException.badRequest(
          "cursor", "cursor is not a next_cursor this list returned");
    }
  }

  public boolean cursorMode() {
    return page == 0;
  }

  /** Whether only status, user and group filters apply (what maintained counts answer). */
  public boolean onlyCountedFilters() {
    return search == null
        && createdFrom == null
        && createdTo == null
        && lastUsedFrom == null
        && lastUsedTo == null;
  }

  public static ListRequest parse(ListParams params, Spec spec) {
    boolean pageMode = params.page != null || params.pageSize != null;
    boolean cursorMode = params.cursor != null || params.limit != null;
    if (pageMode && cursorMode) {
      throw ProblemException.badRequest(
          params.cursor != null ? "cursor" : "limit",
          "use either page/page_size or cursor/limit, not both");
    }
    String sort = params.sort == null ? "created" : params.sort;
    if (!spec.sorts().contains(sort)) {
      throw ProblemException.badRequest("sort", "sort must be one of " + spec.sorts());
    }
    boolean descending = true;
    if (params.order != null) {
      if (!params.order.equals("asc") && !params.order.equals("desc")) {
        throw ProblemException.badRequest("order", "order must be asc or desc");
      }
      descending = params.order.equals("desc");
    }
    int page = 0;
    int size;
    Cursor after = null;
    if (cursorMode) {
      size = bounded("limit", params.limit, DEFAULT_SIZE, 1, MAX_SIZE);
      if (params.cursor != null) {
        after = Cursor.decode(params.cursor);
        if (!after.sort().equals(sort) || after.descending() != descending) {
          throw ProblemException.badRequest(
              "cursor",
              "cursor was made for sort="
                  + after.sort()
                  + "&order="
                  + (after.descending() ? "desc" : "asc")
                  + "; send the same sort and order");
        }
      }
    } else {
      page = bounded("page", params.page, 1, 1, Integer.MAX_VALUE);
      size = bounded("page_size", params.pageSize, DEFAULT_SIZE, 1, MAX_SIZE);
    }
    Set<String> statuses = statuses("status", params.status, spec);
    Set<String> excluded = statuses("exclude_statuses", params.excludeStatuses, spec);
    if (params.status == null && params.excludeStatuses == null) {
      excluded = spec.defaultExcluded();
    }
    Long userId =
        spec.userFilter()
            ? QueryParameters.id("user_id", params.userId)
            : refuse("user_id", params.userId);
    Long groupId =
        spec.groupFilter()
            ? QueryParameters.id("group_id", params.groupId)
            : refuse("group_id", params.groupId);
    String search = spec.search() ? search(params.search) : refuse("search", params.search);
    Instant createdFrom = QueryParameters.instant("created_from", params.createdFrom);
    Instant createdTo = QueryParameters.instant("created_to", params.createdTo);
    range("created_to", createdFrom, createdTo);
    Instant lastUsedFrom =
        spec.lastUsed()
            ? QueryParameters.instant("last_used_from", params.lastUsedFrom)
            : refuse("last_used_from", params.lastUsedFrom);
    Instant lastUsedTo =
        spec.lastUsed()
            ? QueryParameters.instant("last_used_to", params.lastUsedTo)
            : refuse("last_used_to", params.lastUsedTo);
    range("last_used_to", lastUsedFrom, lastUsedTo);
    return new ListRequest(
        page,
        size,
        after,
        sort,
        descending,
        statuses,
        excluded,
        userId,
        groupId,
        search,
        createdFrom,
        createdTo,
        lastUsedFrom,
        lastUsedTo);
  }

  private static <T> T refuse(String name, String value) {
    if (value != null) {
      throw ProblemException.badRequest(name, name + " does not apply to this list");
    }
    return null;
  }

  private static int bounded(String name, String value, int fallback, int min, int max) {
    Integer parsed = QueryParameters.integer(name, value, min, max);
    return parsed == null ? fallback : parsed;
  }

  private static Set<String> statuses(String name, String value, Spec spec) {
    if (value == null) {
      return Set.of();
    }
    var result = new LinkedHashSet<String>();
    for (String status : value.split(",", -1)) {
      String trimmed = status.trim();
      if (!spec.statuses().contains(trimmed)) {
        throw ProblemException.badRequest(
            name, name + " lists \"" + trimmed + "\"; statuses are " + spec.statuses());
      }
      result.add(trimmed);
    }
    return Set.copyOf(result);
  }

  private static String search(String value) {
    if (value == null) {
      return null;
    }
    String trimmed = value.trim();
    if (trimmed.length() < MIN_SEARCH || Fields.exceeds(trimmed, Fields.MAX_QUERY_TEXT_LENGTH)) {
      throw ProblemException.badRequest(
          "search",
          "search must be "
              + MIN_SEARCH
              + " to "
              + Fields.MAX_QUERY_TEXT_LENGTH
              + " characters (shorter would match nearly everything)");
    }
    return trimmed;
  }

  private static void range(String name, Instant from, Instant to) {
    if (from != null && to != null && !from.isBefore(to)) {
      throw ProblemException.badRequest(
          name, name + " must be after " + name.replace("_to", "_from"));
    }
  }
}
