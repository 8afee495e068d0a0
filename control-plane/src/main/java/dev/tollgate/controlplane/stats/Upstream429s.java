package dev.tollgate.controlplane.stats;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(description = "429 answers from upstream, by the data plane's classification.")
public record Upstream429s(
    @Schema(description = "Requests-per-minute limits.") long rpm,
    @Schema(description = "Concurrency limits.") long concurrency,
    @Schema(description = "Not classifiable from the headers.") long unknown,
    @Schema(description = "All of them.") long total) {

  static Upstream429s of(long rpm, long concurrency, long unknown) {
    return new Upstream429s(rpm, concurrency, unknown, rpm + concurrency + unknown);
  }
}
