package dev.tollgate.dataplane.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.config.ConfigReplica;
import dev.tollgate.dataplane.usage.InMemoryUsageMeter;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.config.v1.Status;
import dev.tollgate.proto.usage.v1.AdjustmentReason;
import dev.tollgate.proto.usage.v1.ConcurrencyAdjustment;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Redis is unreachable (nothing listens on its port): the rules apply to local state. */
class AdaptiveConcurrencyWithoutRedisTest {

  private final Vertx vertx = Vertx.vertx();
  private final DataPlaneConfig config =
      TestConfig.with(
          Map.of(
              "tollgate.routing.adaptive.redis-timeout", "300ms",
              "tollgate.routing.adaptive.sync-interval", "50ms",
              "tollgate.routing.adaptive.increase-quiet-period", "0s"));
  private final ProviderKeyHealth health = new ProviderKeyHealth(config, new SimpleMeterRegistry());
  private final InMemoryUsageMeter meter = new InMemoryUsageMeter(10);
  private final List<ConcurrencyAdjustment> reported = new ArrayList<>();
  private AdaptiveConcurrency adaptive;

  @AfterEach
  void close() throws Exception {
    adaptive.stop();
    vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private void start() throws IOException {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    Redis unreachable = Redis.createClient(vertx, "redis://127.0.0.1:" + closed);
    adaptive =
        new AdaptiveConcurrency(
            health,
            new ConfigReplica(),
            new RedisSharedLimitStore(unreachable, vertx, config),
            meter,
            vertx,
            config);
    adaptive.start();
  }

  private List<ConcurrencyAdjustment> adjustments() {
    reported.addAll(meter.drain().getAdjustmentsList());
    return reported;
  }

  private static ProviderKey adaptiveKey() {
    return ProviderKey.newBuilder()
        .setId(77)
        .setGroupId(1)
        .setBaseUrl("http://upstream/v1")
        .setStatus(Status.STATUS_ACTIVE)
        .build();
  }

  @Test
  void lowersTheLocalLimitOnAConcurrency429AndReportsIt() throws Exception {
    // Given 8 requests in flight with an adaptive key (initial limit 10)
    start();
    ProviderKeyState state = health.state(adaptiveKey());
    List<UpstreamLease> leases = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      leases.add(health.tryAcquire(state, System.currentTimeMillis()));
    }

    // When one of them is refused for concurrency
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    headers.add("x-ratelimit-remaining-requests", "5").add("x-ratelimit-remaining-tokens", "50");
    leases.get(0).answered(429, headers);

    // Then the limit is floor(8 × 0.85) = 6 on this data plane, reported once
    Eventually.within(
        Duration.ofSeconds(3),
        () ->
            assertThat(adjustments())
                .singleElement()
                .satisfies(
                    a -> {
                      assertThat(a.getReason())
                          .isEqualTo(AdjustmentReason.ADJUSTMENT_REASON_CONCURRENCY_429);
                      assertThat(a.getOldLimit()).isEqualTo(10);
                      assertThat(a.getNewLimit()).isEqualTo(6);
                      assertThat(a.getUtilisation()).isEqualTo(0.8);
                    }));
    assertThat(state.limit(10)).isEqualTo(6);
    leases.forEach(UpstreamLease::end);
  }

  @Test
  void raisesTheLocalLimitUnderSustainedUse() throws Exception {
    // Given 9 of 10 in flight for longer than five samples
    start();
    ProviderKeyState state = health.state(adaptiveKey());
    for (int i = 0; i < 9; i++) {
      health.tryAcquire(state, System.currentTimeMillis());
    }

    // Then the limit rises by 2, reported as an increase
    Eventually.within(
        Duration.ofSeconds(10),
        () ->
            assertThat(adjustments())
                .first()
                .satisfies(
                    a -> {
                      assertThat(a.getReason())
                          .isEqualTo(AdjustmentReason.ADJUSTMENT_REASON_INCREASE);
                      assertThat(a.getOldLimit()).isEqualTo(10);
                      assertThat(a.getNewLimit()).isEqualTo(12);
                    }));
  }
}
