package dev.tollgate.dataplane.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.dataplane.TestRedis;
import dev.tollgate.dataplane.routing.SharedLimitStore.Change;
import dev.tollgate.dataplane.routing.SharedLimitStore.Shared;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Lua scripts against the real Redis of {@link TestRedis}, each test on its own random provider
 * key id.
 */
class RedisSharedLimitStoreTest {

  private static final String REDIS_URL = TestRedis.URL;

  static Vertx vertx;
  static Redis redis;

  private final long id = TestRedis.uniqueId();
  private final DataPlaneConfig config =
      TestConfig.with(
          Map.of(
              "tollgate.routing.adaptive.increase-quiet-period", "300ms",
              "tollgate.routing.adaptive.probe-after", "600ms",
              "tollgate.routing.adaptive.decrease-debounce", "300ms",
              // The machine running the tests may be busy; the timeout has its own test below.
              "tollgate.routing.adaptive.redis-timeout", "3s"));

  @BeforeAll
  static void connect() {
    vertx = Vertx.vertx();
    redis = Redis.createClient(vertx, REDIS_URL);
  }

  @AfterAll
  static void disconnect() throws Exception {
    redis.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @AfterEach
  void deleteState() throws Exception {
    await(redis.send(Request.cmd(Command.DEL).arg(RedisSharedLimitStore.key(id))));
  }

  private RedisSharedLimitStore store() {
    return new RedisSharedLimitStore(redis, vertx, config);
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private String field(String name) throws Exception {
    var value =
        await(redis.send(Request.cmd(Command.HGET).arg(RedisSharedLimitStore.key(id)).arg(name)));
    return value == null ? null : value.toString();
  }

  @Test
  void createsTheStateAtTheStartLimitAndAddsUpTheOtherDataPlanesInFlight() throws Exception {
    // Given two data planes
    RedisSharedLimitStore one = store();
    RedisSharedLimitStore two = store();

    // When each publishes its in-flight count
    Shared first = await(one.sync(id, true, 3, 12, 10, 0));
    Shared second = await(two.sync(id, true, 5, 12, 10, 0));
    Shared third = await(one.sync(id, true, 2, 12, 10, 0));

    // Then the state starts at the start limit and each sees the other's count
    assertThat(first.limit()).isEqualTo(12);
    assertThat(first.othersInFlight()).isZero();
    assertThat(second.othersInFlight()).isEqualTo(3);
    assertThat(third.othersInFlight()).isEqualTo(5);
    assertThat(third.reset()).isFalse();
    assertThat(field("limit")).isEqualTo("12");
  }

  @Test
  void exchangesInFlightCountsWithoutALimitForAFixedKey() throws Exception {
    await(store().sync(id, false, 4, 10, 10, 0));
    Shared other = await(store().sync(id, false, 1, 10, 10, 0));

    assertThat(other.limit()).isZero();
    assertThat(other.othersInFlight()).isEqualTo(4);
    assertThat(field("limit")).isNull();
  }

  @Test
  void lowersTheLimitToEightyFivePercentOfInFlightOnAConcurrency429OncePerBurst() throws Exception {
    // Given a limit of 10
    RedisSharedLimitStore store = store();
    await(store.sync(id, true, 0, 10, 10, 0));

    // When a concurrency 429 arrives with 9 in flight, and another right after
    Change first = await(store.throttled(id, "concurrency", 9, 10));
    Change second = await(store.throttled(id, "concurrency", 7, 7));

    // Then the limit is floor(9 × 0.85) = 7, once
    assertThat(first).extracting(Change::oldLimit, Change::newLimit).containsExactly(10, 7);
    assertThat(second.changed()).isFalse();
    assertThat(field("limit")).isEqualTo("7");
    assertThat(Long.parseLong(field("last_429_ms"))).isEqualTo(second.atMs());

    // And after the burst window, another one counts again, never below 3
    Thread.sleep(350);
    Change third = await(store.throttled(id, "concurrency", 2, 7));
    assertThat(third.newLimit()).isEqualTo(3);
  }

  @Test
  void lowersTheLimitByTenPercentOnAnUnknown429AndLeavesItOnAnRpm429() throws Exception {
    RedisSharedLimitStore store = store();
    await(store.sync(id, true, 0, 20, 10, 0));

    Change rpm = await(store.throttled(id, "rpm", 20, 20));
    Change unknown = await(store.throttled(id, "unknown", 20, 20));

    assertThat(rpm.changed()).isFalse();
    assertThat(unknown).extracting(Change::oldLimit, Change::newLimit).containsExactly(20, 18);
  }

  @Test
  void raisesOnlyFromTheLimitTheCallerSawAndNotSoonAfterA429() throws Exception {
    RedisSharedLimitStore store = store();
    await(store.sync(id, true, 0, 10, 10, 0));
    await(store.throttled(id, "rpm", 0, 10));

    // Within the quiet period after the 429: no raise
    assertThat(await(store.raise(id, 10, 2, "increase")).changed()).isFalse();

    // After it: a raise by the step, but only once for two data planes that saw the same limit
    Thread.sleep(350);
    Change raised = await(store.raise(id, 10, 2, "increase"));
    Change stale = await(store().raise(id, 10, 2, "increase"));
    assertThat(raised).extracting(Change::oldLimit, Change::newLimit).containsExactly(10, 12);
    assertThat(stale.changed()).isFalse();
    assertThat(field("limit")).isEqualTo("12");
  }

  @Test
  void capsRaisesAtTheHighestLimit() throws Exception {
    await(store().sync(id, true, 0, 199, 10, 0));

    Change raised = await(store().raise(id, 199, 2, "increase"));

    assertThat(raised.newLimit()).isEqualTo(200);
    assertThat(await(store().raise(id, 200, 2, "increase")).changed()).isFalse();
  }

  @Test
  void probesOnlyAfterTheProbePeriodWithoutA429OrARaise() throws Exception {
    RedisSharedLimitStore store = store();
    await(store.sync(id, true, 0, 10, 10, 0));

    assertThat(await(store.raise(id, 10, 2, "probe")).changed()).isFalse();
    Thread.sleep(650);
    assertThat(await(store.raise(id, 10, 2, "probe")).newLimit()).isEqualTo(12);
    assertThat(await(store.raise(id, 12, 2, "probe")).changed()).isFalse();
  }

  @Test
  void discardsTheLearnedStateOnceForANewerResetWhicheverDataPlaneSeesItFirst() throws Exception {
    // Given a learned limit of 4 (a concurrency 429 with 5 in flight)
    await(store().sync(id, true, 0, 10, 10, 0));
    await(store().throttled(id, "concurrency", 5, 10));

    // When two data planes sync with the operator's reset time
    long resetAt = System.currentTimeMillis();
    Shared first = await(store().sync(id, true, 0, 10, 10, resetAt));
    Shared second = await(store().sync(id, true, 0, 10, 10, resetAt));

    // Then the first one resets it to the initial limit and reports it; the second does not
    assertThat(first.reset()).isTrue();
    assertThat(first.limitBeforeReset()).isEqualTo(4);
    assertThat(first.limit()).isEqualTo(10);
    assertThat(first.last429Ms()).isZero();
    assertThat(second.reset()).isFalse();
    assertThat(second.limit()).isEqualTo(10);
  }

  @Test
  void failsWithinTheRedisTimeoutWhenRedisDoesNotAnswer() throws Exception {
    // Given a "Redis" that accepts connections and never answers
    NetServer silent = vertx.createNetServer().connectHandler(socket -> {});
    int port = await(silent.listen(0, "127.0.0.1")).actualPort();
    Redis mute = Redis.createClient(vertx, "redis://127.0.0.1:" + port);
    DataPlaneConfig fast =
        TestConfig.with(Map.of("tollgate.routing.adaptive.redis-timeout", "150ms"));
    RedisSharedLimitStore store = new RedisSharedLimitStore(mute, vertx, fast);

    // When
    long start = System.nanoTime();
    Future<Shared> sync = store.sync(id, true, 1, 10, 10, 0);

    // Then it fails with a timeout, well before the test's own 5 s wait
    assertThatThrownBy(() -> await(sync))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(TimeoutException.class);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(2_000);
    mute.close();
    silent.close();
  }
}
