package dev.tollgate.controlplane.admin;

import jakarta.ws.rs.QueryParam;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;

/**
 * The query parameters every admin list accepts, as sent. Kept as strings so that a bad value gets
 * a problem document naming the parameter ({@link ListRequest#parse}) rather than a bare 404 from
 * JAX-RS conversion. A list that has no use for a parameter refuses it with 400.
 */
public class ListParams {

  @QueryParam("page")
  @Parameter(description = "Page number, from 1 (page mode; default 1). Not with cursor or limit.")
  public String page;

  @QueryParam("page_size")
  @Parameter(description = "Items per page, 1..1000 (page mode; default 50).")
  public String pageSize;

  @QueryParam("cursor")
  @Parameter(
      description =
          "Opaque next_cursor of the previous cursor page (cursor mode). Stable when rows are"
              + " added; only valid with the same sort and order.")
  public String cursor;

  @QueryParam("limit")
  @Parameter(description = "Items per cursor page, 1..1000 (cursor mode; default 50).")
  public String limit;

  @QueryParam("sort")
  @Parameter(
      description =
          "Sort field: created (default), and where the resource has them last_used, requests,"
              + " tokens. Ties are broken by id.")
  public String sort;

  @QueryParam("order")
  @Parameter(description = "asc or desc (default desc).")
  public String order;

  @QueryParam("status")
  @Parameter(description = "Only these statuses (comma-separated).")
  public String status;

  @QueryParam("exclude_statuses")
  @Parameter(
      description =
          "Leave out these statuses (comma-separated). Users, provider groups and provider keys"
              + " leave out deleted ones unless status or exclude_statuses is given.")
  public String excludeStatuses;

  @QueryParam("user_id")
  @Parameter(description = "Only the keys of this user.")
  public String userId;

  @QueryParam("group_id")
  @Parameter(description = "Only keys bound to, or provider keys of, this provider group.")
  public String groupId;

  @QueryParam("search")
  @Parameter(
      description =
          "3 to 200 characters: a case-insensitive substring of the name, or the start of a key's"
              + " prefix (tg-…).",
      schema =
          @Schema(
              type = SchemaType.STRING,
              minLength = 3,
              maxLength = Fields.MAX_QUERY_TEXT_LENGTH))
  public String search;

  @QueryParam("created_from")
  @Parameter(description = "Created at or after this ISO-8601 instant (2026-11-01T00:00:00Z).")
  public String createdFrom;

  @QueryParam("created_to")
  @Parameter(description = "Created before this ISO-8601 instant.")
  public String createdTo;

  @QueryParam("last_used_from")
  @Parameter(description = "Last used at or after this ISO-8601 instant.")
  public String lastUsedFrom;

  @QueryParam("last_used_to")
  @Parameter(description = "Last used before this ISO-8601 instant.")
  public String lastUsedTo;
}
