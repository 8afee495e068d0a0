package dev.tollgate.controlplane.stats;

import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(description = "Counts and totals over every api key, read from aggregates kept up to date.")
public record KeyStats(
    @Schema(description = "Keys in all, whatever their status.") long total,
    @Schema(
            description =
                "Keys per status: active, disabled, expired, quota_exhausted, revoked (every"
                    + " status present, 0 when none).")
        Map<String, Long> byStatus,
    @Schema(description = "Quota sums.") Quota quota,
    @Schema(description = "Requests of every key since it was created.") RequestCounts requests,
    @Schema(description = "Tokens of every key since it was created.") TokenCounts tokens) {

  @Schema(description = "Quota sums over the keys.")
  public record Quota(
      @Schema(description = "Keys with a quota limit (quota_limit >= 0).") long limitedKeys,
      @Schema(description = "Sum of the quota limits of those keys, in tokens.") long limitSum,
      @Schema(description = "Sum of quota_used over every key, in tokens.") long usedSum) {}
}
