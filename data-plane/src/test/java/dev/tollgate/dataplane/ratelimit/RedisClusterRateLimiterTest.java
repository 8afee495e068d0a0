package dev.tollgate.dataplane.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.TestRedis;
import dev.tollgate.dataplane.TestRedisCluster;
import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.User;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link RedisClusterRateLimiter} against a real Redis Cluster of three masters started for this
 * class ({@link TestRedisCluster}): the shared cases of {@link RateLimiterCases} answer exactly as
 * on one server, and an admission whose scopes lie in two slots on two nodes stays all-or-nothing
 * and exact across data planes.
 */
class RedisClusterRateLimiterTest extends RateLimiterCases {

  private static TestRedisCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = TestRedisCluster.start();
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Override
  RateLimiter newLimiter(
      Vertx on, String url, DataPlaneConfig.FailMode mode, Duration timeout, Duration leaseTtl) {
    return new RedisClusterRateLimiter(
        on, new Settings(url, mode, timeout, leaseTtl, Duration.ofMillis(300), 64, true), registry);
  }

  @Override
  String redisUrl() {
    return cluster.url();
  }

  @Override
  RedisKeys redisKeys() {
    return RedisKeys.CLUSTER;
  }

  @Override
  String cli(String... args) throws Exception {
    return cluster.cli(args);
  }

  @Override
  String unreachableUrl() throws Exception {
    return "redis://127.0.0.1:" + closedPort() + ",redis://127.0.0.1:" + closedPort();
  }

  /** A group whose RPM window is served by another node than the user's scopes. */
  private void groupOnAnotherNodeThanTheUser() throws Exception {
    int userNode = cluster.nodeOf(RedisKeys.CLUSTER.keyRpm(userId, keyId));
    while (cluster.nodeOf(RedisKeys.CLUSTER.groupRpm(groupId)) == userNode) {
      groupId = TestRedis.uniqueId();
    }
  }

  @Test
  void everyScopeOfTheKeysOwnerSharesOneSlot() throws Exception {
    RedisKeys keys = RedisKeys.CLUSTER;
    String slot = cli("CLUSTER", "KEYSLOT", keys.keyRpm(userId, keyId));
    for (String key :
        List.of(
            RedisKeys.window(keys.keyRpm(userId, keyId), 29_000_000),
            RedisKeys.window(keys.userRpm(userId), 29_000_001),
            RedisKeys.window(keys.userGroupRpm(userId, groupId), 29_000_002),
            RedisKeys.window(keys.keyTpm(userId, keyId), 29_000_003),
            keys.keyConcurrency(userId, keyId),
            keys.userConcurrency(userId))) {
      assertThat(cli("CLUSTER", "KEYSLOT", key)).as(key).isEqualTo(slot);
    }
    assertThat(cli("CLUSTER", "KEYSLOT", RedisKeys.window(keys.groupRpm(groupId), 29_000_000)))
        .isEqualTo(cli("CLUSTER", "KEYSLOT", RedisKeys.window(keys.groupRpm(groupId), 29_000_001)));
  }

  @Test
  void anOwnerScopeThatRefusesLeavesNoCountOnTheGroupInAnotherSlot() throws Exception {
    // Given a group (20/min) on another node than its user, and a key allowing 2 per minute
    long minute = minuteAwayFromItsEdge();
    groupOnAnotherNodeThanTheUser();
    groupRpm = 20;
    Limits limits = limits(ApiKey.newBuilder().setRpmLimit(2), User.newBuilder());

    // When 6 requests come
    List<Decision> decisions = admit(limiter(), limits, 6);

    // Then 2 are admitted, 4 refused by the key, and the group kept only the 2 admitted
    assertThat(admitted(decisions)).isEqualTo(2);
    assertThat(refused(decisions))
        .isNotEmpty()
        .extracting(Decision::refusedBy)
        .containsOnly(Scope.KEY_RPM);
    assertThat(window(RedisKeys.CLUSTER.keyRpm(userId, keyId), minute)).isEqualTo("2");
    Eventually.within(
        Duration.ofSeconds(5),
        () -> assertWindow(RedisKeys.CLUSTER.groupRpm(groupId), minute, "2"));
  }

  @Test
  void aGroupThatRefusesLeavesNoCountOrLeaseOnTheKeysOwner() throws Exception {
    // Given a group (3/min) on another node than its user, and a key with RPM and leases
    long minute = minuteAwayFromItsEdge();
    groupOnAnotherNodeThanTheUser();
    groupRpm = 3;
    Limits limits =
        limits(
            ApiKey.newBuilder().setRpmLimit(50).setConcurrencyLimit(10),
            User.newBuilder().setRpmLimit(50));

    // When 5 requests come
    List<Decision> decisions = admit(limiter(), limits, 5);

    // Then the group refuses 2, which count nowhere and hold no lease
    assertThat(admitted(decisions)).isEqualTo(3);
    assertThat(refused(decisions))
        .isNotEmpty()
        .extracting(Decision::refusedBy)
        .containsOnly(Scope.GROUP_RPM);
    assertThat(window(RedisKeys.CLUSTER.groupRpm(groupId), minute)).isEqualTo("3");
    assertThat(window(RedisKeys.CLUSTER.keyRpm(userId, keyId), minute)).isEqualTo("3");
    assertThat(window(RedisKeys.CLUSTER.userRpm(userId), minute)).isEqualTo("3");
    assertThat(cli("ZCARD", RedisKeys.CLUSTER.keyConcurrency(userId, keyId))).isEqualTo("3");
  }

  @Test
  void aRequestRefusedForConcurrencyGivesBackItsGroupCountAndLeasesAreReleased() throws Exception {
    // Given a group (100/min) on another node, and a key allowing 1 request in flight
    long minute = minuteAwayFromItsEdge();
    groupOnAnotherNodeThanTheUser();
    groupRpm = 100;
    RateLimiter limiter = limiter();
    Limits limits = limits(ApiKey.newBuilder().setConcurrencyLimit(1), User.newBuilder());

    // When two come while none has ended
    List<Decision> first = admit(limiter, limits, 2);

    // Then the second is refused by the key's concurrency and the group counts only the first
    assertThat(admitted(first)).isEqualTo(1);
    assertThat(refused(first))
        .isNotEmpty()
        .extracting(Decision::refusedBy)
        .containsOnly(Scope.KEY_CONCURRENCY);
    Eventually.within(
        Duration.ofSeconds(5),
        () -> assertWindow(RedisKeys.CLUSTER.groupRpm(groupId), minute, "1"));

    // And once the first ends its lease is gone and the next is admitted
    complete(limiter, admittedOnes(first).get(0), 0);
    Eventually.within(
        Duration.ofSeconds(5),
        () -> {
          try {
            assertThat(cli("ZCARD", RedisKeys.CLUSTER.keyConcurrency(userId, keyId)))
                .isEqualTo("0");
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
    assertThat(admitted(admit(limiter, limits, 1))).isEqualTo(1);
  }

  @Test
  void twoDataPlanesUnderConcurrentLoadAdmitExactlyTheLimitAcrossSlots() throws Exception {
    // Given two limiters with their own event loops (two data planes), a key allowing 30 per
    // minute and its group, on another node, 40
    long minute = minuteAwayFromItsEdge();
    groupOnAnotherNodeThanTheUser();
    groupRpm = 40;
    Limits limits = limits(ApiKey.newBuilder().setRpmLimit(30), User.newBuilder());
    Vertx otherPlane = Vertx.vertx();
    try {
      RateLimiter a = limiter();
      RateLimiter b =
          newLimiter(
              otherPlane,
              redisUrl(),
              DataPlaneConfig.FailMode.OPEN,
              Duration.ofSeconds(2),
              Duration.ofSeconds(30));
      limiters.add(b);

      // When 4 event loops of each send 25 requests at once (200 in all)
      List<CompletableFuture<List<Decision>>> waves = new ArrayList<>();
      for (int loop = 0; loop < 4; loop++) {
        waves.add(wave(vertx.getOrCreateContext(), a, limits, 25));
        waves.add(wave(otherPlane.getOrCreateContext(), b, limits, 25));
      }
      long admitted = 0;
      for (CompletableFuture<List<Decision>> wave : waves) {
        List<Decision> decisions = wave.get(20, TimeUnit.SECONDS);
        assertThat(decisions).noneMatch(Decision::unavailable);
        admitted += admitted(decisions);
      }

      // Then exactly 30 were admitted across both, and every refused one was taken back from
      // the group's window
      assertThat(admitted).isEqualTo(30);
      assertThat(window(RedisKeys.CLUSTER.keyRpm(userId, keyId), minute)).isEqualTo("30");
      Eventually.within(
          Duration.ofSeconds(5),
          () -> assertWindow(RedisKeys.CLUSTER.groupRpm(groupId), minute, "30"));
    } finally {
      otherPlane.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aClientWithOneSeedNodeFindsTheSlotsOnTheOthers() throws Exception {
    // Given a limiter told of one node only, and a group on another node than its user
    long minute = minuteAwayFromItsEdge();
    groupOnAnotherNodeThanTheUser();
    groupRpm = 2;
    RateLimiter limiter =
        limiter(cluster.firstNode(), DataPlaneConfig.FailMode.CLOSED, Duration.ofSeconds(30));
    Limits limits = limits(ApiKey.newBuilder().setRpmLimit(10), User.newBuilder());

    // When
    List<Decision> decisions = admit(limiter, limits, 3);

    // Then every node was reached (nothing decided by the fail mode) and the limits held
    assertThat(decisions).noneMatch(Decision::unavailable);
    assertThat(admitted(decisions)).isEqualTo(2);
    assertThat(window(RedisKeys.CLUSTER.groupRpm(groupId), minute)).isEqualTo("2");
  }

  private static CompletableFuture<List<Decision>> wave(
      Context context, RateLimiter limiter, Limits limits, int n) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return onLoop(context, limiter, limits, n);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  private void assertWindow(String prefix, long minute, String expected) {
    try {
      assertThat(window(prefix, minute)).isEqualTo(expected);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
