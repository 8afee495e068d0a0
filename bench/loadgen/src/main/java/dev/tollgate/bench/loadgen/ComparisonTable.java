package dev.tollgate.bench.loadgen;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Puts the JSON lines of several runs side by side: one block per scenario, one row per target, and
 * for every target but the baseline the latency it adds ({@code +p50}, {@code +p99}: target minus
 * baseline, in ms) and its ratios to the baseline (latency ×, throughput ×). Any number of targets:
 * a new one is just more lines with a new label. The last column is the machine's load average when
 * each run ended.
 */
final class ComparisonTable {

  private final Map<String, Map<String, JsonObject>> byScenario = new LinkedHashMap<>();
  private final Set<String> labels = new LinkedHashSet<>();
  private final String baseline;

  /**
   * @param lines JSON lines as {@link RunResult#toJson()} writes them; other lines are skipped
   * @param baseline the label the others are compared with, or null for the first label seen
   */
  ComparisonTable(List<String> lines, String baseline) {
    for (String line : lines) {
      if (!line.startsWith("{")) {
        continue;
      }
      JsonObject run;
      try {
        run = new JsonObject(line);
      } catch (DecodeException e) {
        continue;
      }
      String label = run.getString("label");
      labels.add(label);
      // A later run of the same target and scenario replaces an earlier one.
      byScenario
          .computeIfAbsent(run.getString("scenario"), s -> new LinkedHashMap<>())
          .put(label, run);
    }
    if (baseline != null && !labels.contains(baseline)) {
      throw new IllegalArgumentException("no runs labelled " + baseline + "; labels: " + labels);
    }
    this.baseline = baseline != null ? baseline : labels.stream().findFirst().orElse(null);
  }

  String render() {
    if (baseline == null) {
      return "no runs to compare\n";
    }
    int scenarioWidth =
        Math.max(8, byScenario.keySet().stream().mapToInt(String::length).max().orElse(0));
    int labelWidth = Math.max(6, labels.stream().mapToInt(String::length).max().orElse(0));
    String rowFormat =
        "%-"
            + scenarioWidth
            + "s  %-"
            + labelWidth
            + "s %9s %7s %9s %8s %8s %8s %8s %6s %6s %7s %5s%n";
    StringBuilder out = new StringBuilder();
    out.append(
        row(
            rowFormat,
            "scenario",
            "target",
            "requests",
            "errors",
            "req/s",
            "p50 ms",
            "p99 ms",
            "+p50 ms",
            "+p99 ms",
            "p50 x",
            "p99 x",
            "req/s x",
            "load"));
    List<String> notes = new ArrayList<>();
    for (Map.Entry<String, Map<String, JsonObject>> scenario : byScenario.entrySet()) {
      JsonObject base = scenario.getValue().get(baseline);
      boolean first = true;
      for (String label : labels) {
        JsonObject run = scenario.getValue().get(label);
        if (run == null) {
          continue;
        }
        boolean isBase = label.equals(baseline);
        Double p50 = latency(run, "p50");
        Double p99 = latency(run, "p99");
        Double baseP50 = base == null ? null : latency(base, "p50");
        Double baseP99 = base == null ? null : latency(base, "p99");
        double rps = run.getDouble("ok_rps", 0.0);
        double baseRps = base == null ? 0 : base.getDouble("ok_rps", 0.0);
        out.append(
            row(
                rowFormat,
                first ? scenario.getKey() : "",
                label,
                run.getLong("count", 0L),
                run.getLong("errors", 0L),
                String.format(Locale.ROOT, "%.1f", rps),
                fixed(p50, 3),
                fixed(p99, 3),
                isBase ? "" : signed(diff(p50, baseP50)),
                isBase ? "" : signed(diff(p99, baseP99)),
                isBase ? "" : fixed(ratio(p50, baseP50), 2),
                isBase ? "" : fixed(ratio(p99, baseP99), 2),
                isBase ? "" : fixed(baseRps > 0 ? rps / baseRps : null, 2),
                fixed(run.getDouble("loadavg_1m"), 1)));
        first = false;
        notes.addAll(warnings(scenario.getKey(), label, run));
      }
    }
    out.append(summary());
    notes.forEach(n -> out.append("WARNING: ").append(n).append('\n'));
    return out.toString();
  }

  private static String row(String format, Object... cells) {
    return String.format(Locale.ROOT, format, cells).stripTrailing() + "\n";
  }

  /** One line per non-baseline target: added latency at fixed rates, throughput at saturation. */
  private String summary() {
    StringBuilder out = new StringBuilder();
    for (String label : labels) {
      if (label.equals(baseline)) {
        continue;
      }
      List<String> parts = new ArrayList<>();
      for (Map.Entry<String, Map<String, JsonObject>> scenario : byScenario.entrySet()) {
        JsonObject run = scenario.getValue().get(label);
        JsonObject base = scenario.getValue().get(baseline);
        if (run == null || base == null) {
          continue;
        }
        if ("saturation".equals(run.getString("mode"))) {
          double rps = run.getDouble("ok_rps", 0.0);
          double baseRps = base.getDouble("ok_rps", 0.0);
          parts.add(
              String.format(
                  Locale.ROOT,
                  "%s: %s x the throughput (%.0f vs %.0f req/s)",
                  scenario.getKey(),
                  fixed(baseRps > 0 ? rps / baseRps : null, 2),
                  rps,
                  baseRps));
        } else {
          parts.add(
              String.format(
                  Locale.ROOT,
                  "%s: adds p50 %s ms, p99 %s ms",
                  scenario.getKey(),
                  signed(diff(latency(run, "p50"), latency(base, "p50"))),
                  signed(diff(latency(run, "p99"), latency(base, "p99")))));
        }
      }
      out.append(String.format("%n%s vs %s:%n", label, baseline));
      parts.forEach(p -> out.append("  ").append(p).append('\n'));
    }
    return out.toString();
  }

  private static List<String> warnings(String scenario, String label, JsonObject run) {
    List<String> warnings = new ArrayList<>();
    long errors = run.getLong("errors", 0L);
    if (errors > 0) {
      warnings.add(
          String.format(
              "%s / %s: %d errors %s, first: %s",
              label,
              scenario,
              errors,
              run.getJsonObject("errors_by_kind"),
              run.getString("first_error")));
    }
    Integer rate = run.getInteger("rate");
    double achieved = run.getDouble("achieved_rps", 0.0);
    if (rate != null && achieved < 0.98 * rate) {
      warnings.add(
          String.format(
              Locale.ROOT,
              "%s / %s: offered %d req/s but only %.1f completed per second, so it fell behind",
              label,
              scenario,
              rate,
              achieved));
    }
    return warnings;
  }

  private static Double latency(JsonObject run, String percentile) {
    JsonObject latency = run.getJsonObject("latency_ms");
    return latency == null ? null : latency.getDouble(percentile);
  }

  private static Double diff(Double value, Double base) {
    return value == null || base == null ? null : value - base;
  }

  private static Double ratio(Double value, Double base) {
    return value == null || base == null || base == 0 ? null : value / base;
  }

  private static String fixed(Double value, int decimals) {
    return value == null ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", value);
  }

  private static String signed(Double value) {
    return value == null ? "-" : String.format(Locale.ROOT, "%+.3f", value);
  }
}
