package dev.tollgate.bench.loadgen;

import io.vertx.core.json.JsonObject;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * The outcome of one run, as the JSON line the scripts collect and the line a human reads.
 *
 * <p>JSON fields: {@code label}, {@code scenario}, {@code mode} ({@code fixed}|{@code saturation}),
 * {@code url}, {@code method}, {@code rate} (offered req/s, null in saturation), {@code
 * connections}, {@code warmup_s}, {@code duration_s}, {@code elapsed_s} (the measured window),
 * {@code sent_total} (every request sent, warm-up included), {@code answered_total} (those of them
 * that got a status line back, whatever the status: what a metering target saw), {@code count}
 * (measured requests = {@code ok} + {@code errors}), {@code errors_by_kind}, {@code first_error},
 * {@code achieved_rps} ({@code count} / {@code elapsed_s}), {@code ok_rps}, {@code bytes_in}, and
 * {@code latency_ms}, {@code ttfb_ms}, {@code service_ms} each with {@code p50 p90 p99 p99_9 max
 * mean} over the successful requests (null when there were none).
 */
record RunResult(
    LoadSpec spec,
    Measurements measurements,
    long sentTotal,
    long answeredTotal,
    double elapsedSeconds,
    Double loadAverage) {

  long count() {
    return measurements.ok() + measurements.errorCount();
  }

  double achievedRps() {
    return elapsedSeconds > 0 ? count() / elapsedSeconds : 0;
  }

  JsonObject toJson() {
    JsonObject errorsByKind = new JsonObject();
    measurements.errorsByKind().forEach(errorsByKind::put);
    return new JsonObject()
        .put("label", spec.label())
        .put("scenario", spec.scenario())
        .put("mode", spec.mode() == LoadSpec.Mode.FIXED ? "fixed" : "saturation")
        .put("url", spec.url().toString())
        .put("method", spec.method())
        .put("rate", spec.mode() == LoadSpec.Mode.FIXED ? spec.ratePerSecond() : null)
        .put("connections", spec.connections())
        .put("warmup_s", spec.warmup().toMillis() / 1000.0)
        .put("duration_s", spec.duration().toMillis() / 1000.0)
        .put("elapsed_s", round(elapsedSeconds, 3))
        .put("sent_total", sentTotal)
        .put("answered_total", answeredTotal)
        .put("count", count())
        .put("ok", measurements.ok())
        .put("errors", measurements.errorCount())
        .put("errors_by_kind", errorsByKind)
        .put("first_error", measurements.firstError())
        .put("achieved_rps", round(achievedRps(), 1))
        .put("ok_rps", round(elapsedSeconds > 0 ? measurements.ok() / elapsedSeconds : 0, 1))
        .put("bytes_in", measurements.bytesIn())
        .put("latency_ms", percentiles(measurements.latency))
        .put("ttfb_ms", percentiles(measurements.firstByte))
        .put("service_ms", percentiles(measurements.service))
        .put("loadavg_1m", loadAverage);
  }

  String toHumanLine() {
    Histogram h = measurements.latency;
    String latency =
        h.getTotalCount() == 0
            ? "no successful responses"
            : String.format(
                Locale.ROOT,
                "latency ms p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f",
                ms(h.getValueAtPercentile(50)),
                ms(h.getValueAtPercentile(90)),
                ms(h.getValueAtPercentile(99)),
                ms(h.getValueAtPercentile(99.9)),
                ms(h.getMaxValue()));
    String errors =
        measurements.errorCount() == 0
            ? "0 errors"
            : measurements.errorCount() + " errors " + measurements.errorsByKind();
    return String.format(
        Locale.ROOT,
        "%s | %s: %d requests, %s, %.1f req/s over %.1f s; %s",
        spec.label(),
        spec.scenario(),
        count(),
        errors,
        achievedRps(),
        elapsedSeconds,
        latency);
  }

  private static JsonObject percentiles(Histogram h) {
    if (h.getTotalCount() == 0) {
      return null;
    }
    return new JsonObject()
        .put("p50", ms(h.getValueAtPercentile(50)))
        .put("p90", ms(h.getValueAtPercentile(90)))
        .put("p99", ms(h.getValueAtPercentile(99)))
        .put("p99_9", ms(h.getValueAtPercentile(99.9)))
        .put("max", ms(h.getMaxValue()))
        .put("mean", round(h.getMean() / 1e6, 3));
  }

  private static double ms(long nanos) {
    return round(nanos / 1e6, 3);
  }

  private static double round(double value, int decimals) {
    double scale = Math.pow(10, decimals);
    return Math.round(value * scale) / scale;
  }
}
