package dev.tollgate.dataplane.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.TestRedis;
import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.User;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link RedisRateLimiter} against one real Redis ({@link TestRedis}): the shared cases of {@link
 * RateLimiterCases}, and what happens when that server dies or hangs.
 */
class RedisRateLimiterTest extends RateLimiterCases {

  @Override
  RateLimiter newLimiter(
      Vertx on, String url, DataPlaneConfig.FailMode mode, Duration timeout, Duration leaseTtl) {
    return new RedisRateLimiter(
        on,
        new Settings(url, mode, timeout, leaseTtl, Duration.ofMillis(300), 64, false),
        registry);
  }

  @Override
  String redisUrl() {
    return TestRedis.URL;
  }

  @Override
  RedisKeys redisKeys() {
    return RedisKeys.SINGLE;
  }

  @Override
  String cli(String... args) throws Exception {
    return TestRedis.cli(args);
  }

  @Override
  String unreachableUrl() throws Exception {
    return "redis://127.0.0.1:" + closedPort();
  }

  @Override
  void assertBatched() {
    assertThat(registry.find("tollgate.ratelimit.batch.size").summary().max()).isGreaterThan(1);
  }

  @Test
  void keepsTheSingleServerKeyFormatsOfTheContract() throws Exception {
    // The control plane and operators' tooling read these names (docs/redis-keys.md)
    long minute = minuteAwayFromItsEdge();
    Limits limits = limits(ApiKey.newBuilder().setRpmLimit(5), User.newBuilder().setRpmLimit(5));
    assertThat(admitted(admit(limiter(), limits, 1))).isEqualTo(1);
    assertThat(TestRedis.cli("GET", "tg:rpm:key:" + keyId + ":" + minute)).isEqualTo("1");
    assertThat(TestRedis.cli("GET", "tg:rpm:user:" + userId + ":" + minute)).isEqualTo("1");
  }

  @Test
  void keepsDecidingWithinTheTimeoutWhenRedisDiesAndLimitsAgainWhenItIsBack() throws Exception {
    try (TestRedis.Private redis = new TestRedis.Private().start()) {
      // Given a limiter on a private Redis, limiting as usual
      RateLimiter limiter =
          limiter(redis.url(), DataPlaneConfig.FailMode.OPEN, Duration.ofSeconds(5));
      Limits limits = limits(ApiKey.newBuilder().setRpmLimit(2), User.newBuilder());
      assertThat(admitted(admit(limiter, limits, 3))).isEqualTo(2);

      // When Redis is killed
      redis.kill();

      // Then requests are still decided at once, admitted by the open fail mode
      for (int i = 0; i < 5; i++) {
        long start = System.nanoTime();
        List<Decision> decisions = admit(limiter, limits, 2);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1_000);
        assertThat(decisions).allMatch(d -> d.admitted() && d.unavailable());
      }

      // And once Redis is back (empty), limits apply again
      redis.start();
      Eventually.within(
          Duration.ofSeconds(5),
          () -> {
            try {
              List<Decision> decisions = admit(limiter, limits, 3);
              assertThat(decisions).noneMatch(Decision::unavailable);
              assertThat(admitted(decisions)).isLessThanOrEqualTo(2);
            } catch (Exception e) {
              throw new AssertionError(e);
            }
          });
    }
  }

  @Test
  void aLeaseReleasedWhileRedisHangsIsReleasedOnceItAnswersAgain() throws Exception {
    try (TestRedis.Private redis = new TestRedis.Private().start()) {
      // Given a lease held on a private Redis, with a short timeout
      RateLimiter limiter =
          new RedisRateLimiter(
              vertx,
              new Settings(
                  redis.url(),
                  DataPlaneConfig.FailMode.OPEN,
                  Duration.ofMillis(300),
                  Duration.ofSeconds(30),
                  Duration.ofMillis(200),
                  64,
                  false),
              registry);
      limiters.add(limiter);
      Limits limits = limits(ApiKey.newBuilder().setConcurrencyLimit(5), User.newBuilder());
      Decision held = admit(limiter, limits, 1).get(0);
      assertThat(held.unavailable()).isFalse();

      // When Redis hangs, a request is admitted by the fail mode, and both requests end
      redis.pause();
      Decision unchecked = admit(limiter, limits, 1).get(0);
      assertThat(unchecked.unavailable()).isTrue();
      complete(limiter, held, 0);
      complete(limiter, unchecked, 0);
      redis.resume();

      // Then once Redis answers again, the next call carries the releases: no slot stays taken
      Thread.sleep(300);
      Decision after = admit(limiter, limits, 1).get(0);
      complete(limiter, after, 0);
      Eventually.within(
          Duration.ofSeconds(5),
          () -> {
            try {
              assertThat(TestRedis.cliAt(redis.url(), "ZCARD", "tg:conc:key:" + keyId))
                  .isEqualTo("0");
            } catch (Exception e) {
              throw new AssertionError(e);
            }
          });
    }
  }
}
