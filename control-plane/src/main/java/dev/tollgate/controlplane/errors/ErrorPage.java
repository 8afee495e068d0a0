package dev.tollgate.controlplane.errors;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One page of the error list. */
@Schema(description = "A page of error events, newest first.")
public record ErrorPage(
    @Schema(description = "The error events, newest first (by occurred_at, then id).")
        List<ErrorEventView> items,
    @Schema(
            description =
                "Pass as cursor to get the next (older) page; null on the last page. Opaque.",
            nullable = true)
        String nextCursor) {}
