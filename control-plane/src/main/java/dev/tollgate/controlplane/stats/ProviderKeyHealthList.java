package dev.tollgate.controlplane.stats;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(description = "The health of every provider key of a group that is not deleted.")
public record ProviderKeyHealthList(
    @Schema(description = "The provider group.") long groupId,
    @Schema(description = "Reports older than this many seconds are not counted.")
        long maxAgeSeconds,
    @Schema(description = "One per provider key, by id.") List<ProviderKeyHealthView> items) {}
