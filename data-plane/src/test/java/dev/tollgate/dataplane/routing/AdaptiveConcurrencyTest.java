package dev.tollgate.dataplane.routing;

import static dev.tollgate.dataplane.RoutingTestResource.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.bench.stub.StubUpstream;
import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.RoutingTestProfile;
import dev.tollgate.dataplane.TestRedis;
import dev.tollgate.proto.usage.v1.AdjustmentReason;
import dev.tollgate.proto.usage.v1.ConcurrencyAdjustment;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Learned limits against a stub that refuses past a concurrency, shared through real Redis. */
@QuarkusTest
@TestProfile(RoutingTestProfile.class)
class AdaptiveConcurrencyTest {

  @TestHTTPResource("/v1/chat/completions")
  URI chatCompletions;

  private static final Redis redis = Redis.createClient(Vertx.vertx(), TestRedis.URL);

  private final HttpClient client = HttpClient.newHttpClient();

  private static String body(String model, String steer) {
    return "{\"model\":\""
        + model
        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":1"
        + ",\"x_stub\":"
        + steer
        + "}";
  }

  /** Sends {@code count} requests at once; their statuses. */
  private List<Integer> burst(int count, String body) {
    List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      sent.add(
          client.sendAsync(
              HttpRequest.newBuilder(chatCompletions)
                  .header("Authorization", "Bearer " + CLIENT_SECRET)
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    return sent.stream().map(f -> f.join().statusCode()).toList();
  }

  /** Keeps {@code clients} requests in flight, each sent again as soon as it is answered. */
  private void sustain(int clients, String body, Duration duration) {
    long end = System.nanoTime() + duration.toNanos();
    List<CompletableFuture<Void>> loops = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      loops.add(
          CompletableFuture.runAsync(
              () -> {
                while (System.nanoTime() < end) {
                  burst(1, body);
                }
              }));
    }
    loops.forEach(CompletableFuture::join);
  }

  private String hget(long providerKeyId, String field) throws Exception {
    Response value =
        redis
            .send(
                Request.cmd(Command.HGET).arg(RedisSharedLimitStore.key(providerKeyId)).arg(field))
            .toCompletionStage()
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);
    return value == null ? null : value.toString();
  }

  private static String limitGauge(long providerKeyId) {
    String prefix = "tollgate_upstream_concurrency_limit{provider_key=\"" + providerKeyId + "\"} ";
    return given()
        .get("/q/metrics")
        .asString()
        .lines()
        .filter(l -> l.startsWith(prefix))
        .map(l -> l.substring(prefix.length()))
        .findFirst()
        .orElse("");
  }

  @Test
  void lowersTheLimitOnConcurrency429sAndRaisesItUnderSustainedUse() throws Exception {
    // Given an upstream that refuses past 4 requests in flight, and a learned limit starting at 10
    String capped = "{\"delay_ms\":300,\"max_concurrent\":4}";
    assertThat(burst(1, body(ADAPTIVE_MODEL, "{}"))).containsExactly(200);

    // When bursts of 12 requests arrive for a while
    for (int round = 0; round < 6; round++) {
      burst(12, body(ADAPTIVE_MODEL, capped));
    }

    // Then the limit came down with concurrency 429s to about the upstream's 4, reported to the
    // control plane with the time, both limits and the utilisation
    Eventually.within(
        Duration.ofSeconds(5),
        () ->
            assertThat(adjustmentsOf(ADAPTIVE_KEY))
                .extracting(ConcurrencyAdjustment::getReason)
                .contains(AdjustmentReason.ADJUSTMENT_REASON_CONCURRENCY_429));
    List<ConcurrencyAdjustment> decreases =
        adjustmentsOf(ADAPTIVE_KEY).stream()
            .filter(a -> a.getReason() == AdjustmentReason.ADJUSTMENT_REASON_CONCURRENCY_429)
            .toList();
    assertThat(decreases)
        .allSatisfy(
            a -> {
              assertThat(a.getNewLimit()).isLessThan(a.getOldLimit()).isGreaterThanOrEqualTo(3);
              assertThat(a.getAtUnixMs()).isPositive();
              assertThat(a.getUtilisation()).isPositive();
            });
    assertThat(decreases.stream().mapToInt(ConcurrencyAdjustment::getNewLimit).min().getAsInt())
        .isBetween(3, 5);
    assertThat(StubUpstream.maxInFlight(stubA)).isLessThanOrEqualTo(4);
    Thread.sleep(300);
    List<ConcurrencyAdjustment> before = adjustmentsOf(ADAPTIVE_KEY);
    int learned = before.get(before.size() - 1).getNewLimit();
    assertThat(hget(ADAPTIVE_KEY, "limit")).isEqualTo(Integer.toString(learned));
    Eventually.within(
        Duration.ofSeconds(2),
        () -> assertThat(limitGauge(ADAPTIVE_KEY)).isEqualTo(learned + ".0"));

    // When the upstream takes any load, and the key is kept busy past the quiet period (1 s)
    sustain(learned + 3, body(ADAPTIVE_MODEL, "{\"delay_ms\":100}"), Duration.ofSeconds(4));

    // Then the limit rose in steps of 2 from where it was
    Eventually.within(
        Duration.ofSeconds(5),
        () -> assertThat(adjustmentsOf(ADAPTIVE_KEY)).hasSizeGreaterThan(before.size()));
    List<ConcurrencyAdjustment> all = adjustmentsOf(ADAPTIVE_KEY);
    List<ConcurrencyAdjustment> after = all.subList(before.size(), all.size());
    assertThat(after).isNotEmpty();
    assertThat(after.get(0).getOldLimit()).isEqualTo(learned);
    assertThat(after)
        .allSatisfy(
            a -> {
              assertThat(a.getReason()).isEqualTo(AdjustmentReason.ADJUSTMENT_REASON_INCREASE);
              assertThat(a.getNewLimit()).isEqualTo(a.getOldLimit() + 2);
            });
    assertThat(hget(ADAPTIVE_KEY, "limit"))
        .isEqualTo(Integer.toString(all.get(all.size() - 1).getNewLimit()));
  }

  @Test
  void appliesAFixedLimitAtOnceWhenTheOperatorChangesIt() {
    // Given max_concurrent 2: three slow requests at once, one is refused by the gateway
    String slow = body(FIXED_MODEL, "{\"delay_ms\":500}");
    assertThat(burst(3, slow)).containsExactlyInAnyOrder(200, 200, 429);

    // When the operator raises it to 3
    controlPlane.pushProviderKey(
        controlPlane.providerKey(FIXED_KEY).toBuilder().setMaxConcurrent(3).build());

    // Then three at once are served
    Eventually.within(
        Duration.ofSeconds(5), () -> assertThat(burst(3, slow)).containsExactly(200, 200, 200));
    assertThat(adjustmentsOf(FIXED_KEY)).isEmpty();
  }

  @Test
  void discardsTheLearnedLimitOnceWhenTheOperatorResetsLearning() throws Exception {
    // Given a learned limit of 5 in the shared state, seen by this data plane
    redis
        .send(
            Request.cmd(Command.HSET)
                .arg(RedisSharedLimitStore.key(RESET_KEY))
                .arg("limit")
                .arg("5")
                .arg("last_increase_ms")
                .arg(Long.toString(System.currentTimeMillis())))
        .toCompletionStage()
        .toCompletableFuture()
        .get(5, TimeUnit.SECONDS);
    assertThat(burst(1, body(RESET_MODEL, "{}"))).containsExactly(200);
    Eventually.within(
        Duration.ofSeconds(5), () -> assertThat(limitGauge(RESET_KEY)).isEqualTo("5.0"));

    // When the operator resets its learning
    controlPlane.pushProviderKey(
        controlPlane.providerKey(RESET_KEY).toBuilder()
            .setLearningResetAtUnixMs(System.currentTimeMillis())
            .build());

    // Then the limit is back at the initial 10, and the reset is reported exactly once
    Eventually.within(
        Duration.ofSeconds(5),
        () ->
            assertThat(adjustmentsOf(RESET_KEY))
                .singleElement()
                .satisfies(
                    a -> {
                      assertThat(a.getReason()).isEqualTo(AdjustmentReason.ADJUSTMENT_REASON_RESET);
                      assertThat(a.getOldLimit()).isEqualTo(5);
                      assertThat(a.getNewLimit()).isEqualTo(10);
                    }));
    assertThat(hget(RESET_KEY, "limit")).isEqualTo("10");
    Thread.sleep(500);
    assertThat(adjustmentsOf(RESET_KEY)).hasSize(1);
    assertThat(limitGauge(RESET_KEY)).isEqualTo("10.0");
  }
}
