package dev.tollgate.controlplane.concurrency;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A page of adaptive provider keys. */
@Schema(description = "A page of adaptive provider keys, by id.")
public record AdaptiveKeyPage(
    @Schema(description = "The provider keys, ascending id.") List<AdaptiveKeyView> items,
    @Schema(description = "Pass as cursor for the next page; null on the last.", nullable = true)
        String nextCursor) {}
