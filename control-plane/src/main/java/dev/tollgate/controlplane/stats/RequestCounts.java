package dev.tollgate.controlplane.stats;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(description = "Requests counted, by outcome.")
public record RequestCounts(
    @Schema(description = "Requests answered.") long total,
    @Schema(description = "Requests answered with a 2xx status.") long success,
    @Schema(description = "Requests answered with any other status.") long failure,
    @Schema(description = "Failed requests answered with 429 (by a Tollgate limit or upstream).")
        long rateLimited,
    @Schema(
            description =
                "Requests whose tokens were estimated from the text because the upstream reported"
                    + " no usage (e.g. the client went away mid-stream); counted in total too.")
        long estimated) {

  /** success / total, or null without requests. */
  Double successRate() {
    return total == 0 ? null : (double) success / total;
  }

  /** failure / total, or null without requests. */
  Double failureRate() {
    return total == 0 ? null : (double) failure / total;
  }
}
