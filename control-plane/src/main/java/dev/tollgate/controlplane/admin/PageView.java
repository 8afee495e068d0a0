package dev.tollgate.controlplane.admin;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One page of a list in page mode ({@code page}/{@code page_size}). */
@Schema(description = "A page of a list (page mode).")
public record PageView<T>(
    @Schema(description = "The items of this page, in the requested order.") List<T> items,
    @Schema(
            description =
                "Items matching the filters. Exact unless total_exact is false: a list filtered by"
                    + " search or a time range counts at most 10,000 matches.")
        long total,
    @Schema(description = "Whether total is exact.") boolean totalExact,
    @Schema(description = "This page's number, from 1.") int page,
    @Schema(description = "Items per page.") int pageSize,
    @Schema(description = "Pages in all (0 for an empty list).") long totalPages) {

  public static <T> PageView<T> of(List<T> items, long total, boolean exact, ListRequest request) {
    return new PageView<>(
        items,
        total,
        exact,
        request.page(),
        request.size(),
        (total + request.size() - 1) / request.size());
  }
}
