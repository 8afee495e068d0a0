package dev.tollgate.controlplane.concurrency;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A page of a provider key's adjustment history. */
@Schema(description = "A page of adjustments, newest first.")
public record AdjustmentPage(
    @Schema(description = "Adjustments, newest first (adjusted_at, then id).")
        List<AdjustmentView> items,
    @Schema(
            description = "Pass as adjustments_cursor for the next (older) page; null on the last.",
            nullable = true)
        String nextCursor) {}
