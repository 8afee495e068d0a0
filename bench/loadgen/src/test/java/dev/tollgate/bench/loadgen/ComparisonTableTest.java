package dev.tollgate.bench.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ComparisonTableTest {

  private static String run(
      String label, String scenario, String mode, double p50, double p99, double okRps) {
    return String.format(
        java.util.Locale.ROOT,
        "{\"label\":\"%s\",\"scenario\":\"%s\",\"mode\":\"%s\",\"rate\":%s,\"count\":100,"
            + "\"errors\":0,\"achieved_rps\":%.1f,\"ok_rps\":%.1f,"
            + "\"latency_ms\":{\"p50\":%.3f,\"p99\":%.3f}}",
        label,
        scenario,
        mode,
        mode.equals("fixed") ? "1000" : "null",
        okRps,
        okRps,
        p50,
        p99);
  }

  @Test
  void comparesEveryTargetWithTheFirstLabel() {
    // Given
    List<String> lines =
        List.of(
            run("direct", "fixed 1000/s", "fixed", 0.200, 0.500, 1000),
            run("direct", "saturation 32 conns", "saturation", 2.0, 5.0, 20000),
            "direct | a human line that the table skips",
            run("dp", "fixed 1000/s", "fixed", 0.450, 1.500, 1000),
            run("dp", "saturation 32 conns", "saturation", 4.0, 9.0, 9000),
            run("nginx", "fixed 1000/s", "fixed", 0.300, 0.700, 1000));

    // When
    String table = new ComparisonTable(lines, null).render();

    // Then
    assertThat(table)
        .contains("+0.250", "+1.000", "2.25", "3.00", "0.45")
        .contains("dp vs direct:")
        .contains("fixed 1000/s: adds p50 +0.250 ms, p99 +1.000 ms")
        .contains("saturation 32 conns: 0.45 x the throughput (9000 vs 20000 req/s)")
        .contains("nginx vs direct:")
        .doesNotContain("WARNING");
  }

  @Test
  void warnsAboutErrorsAndAFixedRateTheTargetCouldNotKeep() {
    // Given
    String failing =
        "{\"label\":\"dp\",\"scenario\":\"fixed 1000/s\",\"mode\":\"fixed\",\"rate\":1000,"
            + "\"count\":500,\"errors\":3,\"errors_by_kind\":{\"status_502\":3},"
            + "\"first_error\":\"status_502: HTTP 502\",\"achieved_rps\":500.0,\"ok_rps\":497.0,"
            + "\"latency_ms\":null}";

    // When
    String table = new ComparisonTable(List.of(failing), "dp").render();

    // Then
    assertThat(table).contains("WARNING: dp / fixed 1000/s: 3 errors").contains("fell behind");
  }
}
