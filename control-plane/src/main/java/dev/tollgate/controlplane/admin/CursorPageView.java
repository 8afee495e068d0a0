package dev.tollgate.controlplane.admin;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One page of a list in cursor mode ({@code cursor}/{@code limit}). */
@Schema(description = "A page of a list (cursor mode).")
public record CursorPageView<T>(
    @Schema(description = "The items of this page, in the requested order.") List<T> items,
    @Schema(
            description =
                "Pass as cursor (with the same sort, order and filters) for the next page; null on"
                    + " the last page.",
            nullable = true)
        String nextCursor) {}
