package dev.tollgate.bench.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LoadSpecTest {

  @Test
  void addsJsonContentTypeAndPostWhenABodyIsGiven() throws Exception {
    // When
    LoadSpec spec =
        LoadSpec.parse(
            "--url", "http://127.0.0.1:9090/v1/chat/completions?x=1",
            "-H", "Authorization: Bearer tg-abc",
            "--body", "{}");

    // Then
    assertThat(spec.method()).isEqualTo("POST");
    assertThat(spec.headers())
        .containsEntry("Authorization", "Bearer tg-abc")
        .containsEntry("Content-Type", "application/json");
    assertThat(spec.requestUri()).isEqualTo("/v1/chat/completions?x=1");
    assertThat(spec.label()).isEqualTo("127.0.0.1:9090");
  }

  @Test
  void derivesTheScenarioNameFromModeAndLoad() throws Exception {
    // When
    LoadSpec fixed = LoadSpec.parse("--url", "http://127.0.0.1:1/", "--rate", "250");
    LoadSpec saturation =
        LoadSpec.parse(
            "--url",
            "http://127.0.0.1:1/",
            "--mode",
            "saturation",
            "--connections",
            "8",
            "--duration",
            "1.5",
            "--warmup",
            "0");

    // Then
    assertThat(fixed.scenario()).isEqualTo("fixed 250/s");
    assertThat(saturation.scenario()).isEqualTo("saturation 8 conns");
    assertThat(saturation.duration()).isEqualTo(Duration.ofMillis(1500));
    assertThat(saturation.warmup()).isZero();
  }

  @Test
  void rejectsWhatCannotRun() {
    assertThatThrownBy(() -> LoadSpec.parse("--rate", "10"))
        .hasMessageContaining("--url is required");
    assertThatThrownBy(() -> LoadSpec.parse("--url", "https://127.0.0.1:1/"))
        .hasMessageContaining("http://HOST:PORT");
    assertThatThrownBy(() -> LoadSpec.parse("--url", "http://127.0.0.1:1/", "--rate", "0"))
        .hasMessageContaining("positive integer");
    assertThatThrownBy(() -> LoadSpec.parse("--url", "http://127.0.0.1:1/", "--duration", "0"))
        .hasMessageContaining("seconds");
    assertThatThrownBy(() -> LoadSpec.parse("--url", "http://127.0.0.1:1/", "--bogus", "1"))
        .hasMessageContaining("unknown option --bogus");
    assertThatThrownBy(() -> LoadSpec.parse("--url", "http://127.0.0.1:1/", "-H", "nocolon"))
        .hasMessageContaining("Name: value");
  }
}
