package dev.tollgate.dataplane.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.upstream.UpstreamErrorClassifier.Classification;
import dev.tollgate.dataplane.upstream.UpstreamErrorClassifier.Kind;
import dev.tollgate.dataplane.usage.UpstreamAttempt.Throttle;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.MultiMap;
import java.net.ConnectException;
import java.time.Instant;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class UpstreamErrorClassifierTest {

  private static final long NOW = Instant.parse("2026-01-01T12:00:00Z").toEpochMilli();

  private static MultiMap headers(String... pairs) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < pairs.length; i += 2) {
      headers.add(pairs[i], pairs[i + 1]);
    }
    return headers;
  }

  private static Classification classify429(String... pairs) {
    return UpstreamErrorClassifier.classify(429, headers(pairs), NOW);
  }

  @Test
  void classifiesAnOpenAi429WithNoRequestsLeftAsRpmCoolingUntilTheRequestsReset() {
    // Given OpenAI's headers with the request window spent, resetting in 6m0s
    Classification c =
        classify429(
            "x-ratelimit-limit-requests", "500",
            "x-ratelimit-remaining-requests", "0",
            "x-ratelimit-remaining-tokens", "149000",
            "x-ratelimit-reset-requests", "6m0s",
            "x-ratelimit-reset-tokens", "120ms");

    // Then
    assertThat(c.kind()).isEqualTo(Kind.THROTTLED);
    assertThat(c.throttle()).isEqualTo(Throttle.RPM);
    assertThat(c.cooldownMs()).isEqualTo(360_000);
  }

  @Test
  void classifiesAnOpenAi429WithNoTokensLeftAsRpmCoolingUntilTheTokensReset() {
    Classification c =
        classify429(
            "x-ratelimit-remaining-requests", "12",
            "x-ratelimit-remaining-tokens", "0",
            "x-ratelimit-reset-tokens", "1.5s");

    assertThat(c.throttle()).isEqualTo(Throttle.RPM);
    assertThat(c.cooldownMs()).isEqualTo(1_500);
  }

  @Test
  void classifiesA429WithRoomLeftInBothWindowsAsConcurrencyWithItsRetryAfter() {
    Classification c =
        classify429(
            "x-ratelimit-remaining-requests", "499",
            "x-ratelimit-remaining-tokens", "199000",
            "retry-after-ms", "250");

    assertThat(c.throttle()).isEqualTo(Throttle.CONCURRENCY);
    assertThat(c.cooldownMs()).isEqualTo(250);
  }

  @Test
  void classifiesA429WithoutRateLimitHeadersAsUnknownWithRetryAfterSecondsOrDate() {
    assertThat(classify429("retry-after", "7"))
        .isEqualTo(new Classification(Kind.THROTTLED, Throttle.UNKNOWN, 7_000));
    assertThat(classify429("retry-after", "Thu, 01 Jan 2026 12:00:30 GMT").cooldownMs())
        .isEqualTo(30_000);
    assertThat(classify429()).isEqualTo(new Classification(Kind.THROTTLED, Throttle.UNKNOWN, 0));
    assertThat(classify429("retry-after", "soon").cooldownMs()).isZero();
  }

  @Test
  void readsAnthropicHeadersWithRfc3339Resets() {
    // Given Anthropic's requests window spent until 12:00:20
    Classification requests =
        classify429(
            "anthropic-ratelimit-requests-remaining", "0",
            "anthropic-ratelimit-requests-reset", "2026-01-01T12:00:20Z",
            "anthropic-ratelimit-tokens-remaining", "5000");
    // And its output tokens spent until 12:00:45
    Classification outputTokens =
        classify429(
            "anthropic-ratelimit-requests-remaining", "40",
            "anthropic-ratelimit-input-tokens-remaining", "10000",
            "anthropic-ratelimit-output-tokens-remaining", "0",
            "anthropic-ratelimit-output-tokens-reset", "2026-01-01T12:00:45Z");
    // And room everywhere
    Classification room =
        classify429(
            "anthropic-ratelimit-requests-remaining", "40",
            "anthropic-ratelimit-tokens-remaining", "5000",
            "retry-after", "1");

    // Then
    assertThat(requests.throttle()).isEqualTo(Throttle.RPM);
    assertThat(requests.cooldownMs()).isEqualTo(20_000);
    assertThat(outputTokens.throttle()).isEqualTo(Throttle.RPM);
    assertThat(outputTokens.cooldownMs()).isEqualTo(45_000);
    assertThat(room.throttle()).isEqualTo(Throttle.CONCURRENCY);
    assertThat(room.cooldownMs()).isEqualTo(1_000);
  }

  @Test
  void takesTheLongerOfRetryAfterAndTheResetForASpentWindow() {
    Classification c =
        classify429(
            "x-ratelimit-remaining-requests", "0",
            "x-ratelimit-reset-requests", "2s",
            "retry-after", "10");

    assertThat(c.cooldownMs()).isEqualTo(10_000);
  }

  @Test
  void ignoresMalformedHeaderValues() {
    Classification c =
        classify429(
            "x-ratelimit-remaining-requests", "lots",
            "x-ratelimit-remaining-tokens", "-3",
            "x-ratelimit-reset-requests", "6 minutes");

    assertThat(c.throttle()).isEqualTo(Throttle.UNKNOWN);
    assertThat(c.cooldownMs()).isZero();
  }

  @Test
  void classifiesAuthServerAndClientErrors() {
    MultiMap none = headers();
    assertThat(UpstreamErrorClassifier.classify(401, none, NOW).kind()).isEqualTo(Kind.AUTH);
    assertThat(UpstreamErrorClassifier.classify(403, none, NOW).kind()).isEqualTo(Kind.AUTH);
    assertThat(UpstreamErrorClassifier.classify(500, none, NOW).kind()).isEqualTo(Kind.FAILURE);
    assertThat(UpstreamErrorClassifier.classify(503, none, NOW).kind()).isEqualTo(Kind.FAILURE);
    assertThat(UpstreamErrorClassifier.classify(408, none, NOW).kind()).isEqualTo(Kind.FAILURE);
    assertThat(UpstreamErrorClassifier.classify(400, none, NOW).retryable()).isFalse();
    assertThat(UpstreamErrorClassifier.classify(404, none, NOW).retryable()).isFalse();
    assertThat(UpstreamErrorClassifier.classify(200, none, NOW).retryable()).isFalse();
  }

  @Test
  void tellsTimeoutsFromRefusedConnections() {
    assertThat(UpstreamErrorClassifier.isTimeout(new TimeoutException("first byte"))).isTrue();
    assertThat(UpstreamErrorClassifier.isTimeout(new ConnectTimeoutException("connect"))).isTrue();
    assertThat(UpstreamErrorClassifier.isTimeout(new ConnectException("refused"))).isFalse();
  }

  @Test
  void parsesGoStyleDurations() {
    assertThat(UpstreamErrorClassifier.durationMs("1h2m3s")).isEqualTo(3_723_000);
    assertThat(UpstreamErrorClassifier.durationMs("20ms")).isEqualTo(20);
    assertThat(UpstreamErrorClassifier.durationMs("0.5s")).isEqualTo(500);
    assertThat(UpstreamErrorClassifier.durationMs("5")).isEqualTo(-1);
    assertThat(UpstreamErrorClassifier.durationMs("")).isEqualTo(-1);
  }
}
