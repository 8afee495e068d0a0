package dev.tollgate.controlplane.stats;

import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(description = "Usage in one bucket of a time series.")
public record UsagePoint(
    @Schema(description = "Start of the bucket (UTC-aligned to the step).") Instant bucketStart,
    @Schema(description = "Requests in the bucket.") RequestCounts requests,
    @Schema(description = "Tokens in the bucket.") TokenCounts tokens) {}
