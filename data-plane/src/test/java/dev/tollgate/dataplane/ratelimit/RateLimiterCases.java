package dev.tollgate.dataplane.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.TestRedis;
import dev.tollgate.dataplane.config.ConfigView;
import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.SnapshotChunk;
import dev.tollgate.proto.config.v1.Status;
import dev.tollgate.proto.config.v1.User;
import dev.tollgate.proto.config.v1.UserGroupLimit;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link RateLimiter} must do, against a real Redis of the subclass' topology (one
 * server, a Redis Cluster): the same cases, the same answers. Every test uses ids of its own.
 */
abstract class RateLimiterCases {

  final Vertx vertx = Vertx.vertx();
  final List<RateLimiter> limiters = new ArrayList<>();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  long keyId = TestRedis.uniqueId();
  final long userId = TestRedis.uniqueId();
  long groupId = TestRedis.uniqueId();
  int groupRpm;

  /** A limiter of this topology on {@code url} on {@code vertx}. */
  abstract RateLimiter newLimiter(
      Vertx on, String url, DataPlaneConfig.FailMode mode, Duration timeout, Duration leaseTtl);

  /** The Redis the tests limit with. */
  abstract String redisUrl();

  /** The key formats of this topology. */
  abstract RedisKeys redisKeys();

  /** redis-cli against the tests' Redis, for assertions. */
  abstract String cli(String... args) throws Exception;

  /** A URL where nothing answers: every node refuses connections. */
  abstract String unreachableUrl() throws Exception;

  /** What the first case checks of how admissions were sent (batched on one server). */
  void assertBatched() {}

  @AfterEach
  void stop() throws Exception {
    limiters.forEach(RateLimiter::close);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Redis settings as the configuration gives them. */
  record Settings(
      String url,
      DataPlaneConfig.FailMode failMode,
      Duration timeout,
      Duration leaseTtl,
      Duration reconnectInterval,
      int maxBatch,
      boolean cluster)
      implements DataPlaneConfig.Redis {}

  /**
   * A limiter with a generous timeout (a cold JVM's first connection is slow); the tests of
   * unavailability use a Redis that refuses connections or dies, which is decided at once.
   */
  RateLimiter limiter(String url, DataPlaneConfig.FailMode mode, Duration leaseTtl) {
    RateLimiter limiter = newLimiter(vertx, url, mode, Duration.ofSeconds(2), leaseTtl);
    limiters.add(limiter);
    return limiter;
  }

  RateLimiter limiter() {
    return limiter(redisUrl(), DataPlaneConfig.FailMode.OPEN, Duration.ofSeconds(30));
  }

  private ConfigView view(ApiKey.Builder key, User.Builder user, UserGroupLimit... overrides) {
    SnapshotChunk.Builder snapshot =
        SnapshotChunk.newBuilder()
            .addKeys(key.setId(keyId).setUserId(userId).setStatus(Status.STATUS_ACTIVE))
            .addUsers(user.setId(userId).setStatus(Status.STATUS_ACTIVE))
            .addProviderGroups(
                ProviderGroup.newBuilder()
                    .setId(groupId)
                    .setStatus(Status.STATUS_ACTIVE)
                    .setRpmLimit(groupRpm));
    for (UserGroupLimit o : overrides) {
      snapshot.addUserGroupLimits(o);
    }
    return ConfigView.of(1, snapshot.build());
  }

  Limits limits(ApiKey.Builder key, User.Builder user, UserGroupLimit... overrides) {
    ConfigView view = view(key, user, overrides);
    return Limits.of(view, view.keyByTokenHash(""), groupId, redisKeys());
  }

  /** The value of a window of this topology's formats in {@code minute} (empty when absent). */
  String window(String prefix, long minute) throws Exception {
    return cli("GET", RedisKeys.window(prefix, minute));
  }

  /** Admits {@code n} requests, all enqueued in one turn of one event loop. */
  List<Decision> admit(RateLimiter limiter, Limits limits, int n) throws Exception {
    return onLoop(vertx.getOrCreateContext(), limiter, limits, n);
  }

  static List<Decision> onLoop(Context context, RateLimiter limiter, Limits limits, int n)
      throws Exception {
    CompletableFuture<List<Decision>> all = new CompletableFuture<>();
    List<Decision> decisions = new ArrayList<>();
    context.runOnContext(
        v -> {
          for (int i = 0; i < n; i++) {
            limiter.admit(
                limits,
                d -> {
                  decisions.add(d);
                  if (decisions.size() == n) {
                    all.complete(decisions);
                  }
                });
          }
        });
    return all.get(10, TimeUnit.SECONDS);
  }

  void complete(RateLimiter limiter, Decision decision, long tokens) throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    vertx
        .getOrCreateContext()
        .runOnContext(
            v -> {
              limiter.complete(decision, tokens);
              done.complete(null);
            });
    done.get(5, TimeUnit.SECONDS);
  }

  /**
   * The refused decisions. Requests decided together may be answered in any order (on a cluster
   * their calls travel apart), so cases look at which were refused, not at positions.
   */
  static List<Decision> refused(List<Decision> decisions) {
    return decisions.stream().filter(d -> !d.admitted()).toList();
  }

  static List<Decision> admittedOnes(List<Decision> decisions) {
    return decisions.stream().filter(Decision::admitted).toList();
  }

  static long admitted(List<Decision> decisions) {
    return decisions.stream().filter(Decision::admitted).count();
  }

  /** Redis' current minute, after waiting out the last seconds of one so a test stays in it. */
  long minuteAwayFromItsEdge() throws Exception {
    long seconds = Long.parseLong(cli("TIME").lines().findFirst().orElseThrow());
    if (seconds % 60 >= 54) {
      Thread.sleep((60 - seconds % 60 + 1) * 1000);
      seconds = Long.parseLong(cli("TIME").lines().findFirst().orElseThrow());
    }
    return seconds / 60;
  }

  @Test
  void admitsExactlyTheKeysRpmFromOneBatchAndRefusesTheRestNamingTheScope() throws Exception {
    // Given a key limited to 5 requests per minute
    long minute = minuteAwayFromItsEdge();
    Limits limits = limits(ApiKey.newBuilder().setRpmLimit(5), User.newBuilder());

    // When 8 arrive in the same turn of the event loop
    List<Decision> decisions = admit(limiter(), limits, 8);

    // Then 5 are admitted, 3 refused by the key's RPM with Retry-After until the window resets
    assertThat(admitted(decisions)).isEqualTo(5);
    assertThat(refused(decisions)).hasSize(3);
    for (Decision refused : refused(decisions)) {
      assertThat(refused.admitted()).isFalse();
      assertThat(refused.refusedBy()).isEqualTo(Scope.KEY_RPM);
      assertThat(refused.retryAfterSeconds()).isBetween(1L, 60L);
    }
    assertThat(window(redisKeys().keyRpm(userId, keyId), minute)).isEqualTo("5");
    assertBatched();
  }

  @Test
  void aRequestRefusedByOneScopeCountsAgainstNone() throws Exception {
    // Given a key allowing 10 per minute whose user allows 3
    long minute = minuteAwayFromItsEdge();
    Limits limits = limits(ApiKey.newBuilder().setRpmLimit(10), User.newBuilder().setRpmLimit(3));

    // When 6 requests come
    List<Decision> decisions = admit(limiter(), limits, 6);

    // Then the user's limit refuses 3, and those 3 were not counted on the key either
    assertThat(admitted(decisions)).isEqualTo(3);
    assertThat(refused(decisions))
        .isNotEmpty()
        .extracting(Decision::refusedBy)
        .containsOnly(Scope.USER_RPM);
    assertThat(window(redisKeys().keyRpm(userId, keyId), minute)).isEqualTo("3");
    assertThat(window(redisKeys().userRpm(userId), minute)).isEqualTo("3");
  }

  @Test
  void theStrictestRefusingScopeIsNamed() throws Exception {
    // Given key 2/min, user 1/min, group 4/min
    minuteAwayFromItsEdge();
    groupRpm = 4;
    Limits limits = limits(ApiKey.newBuilder().setRpmLimit(2), User.newBuilder().setRpmLimit(1));

    // When
    List<Decision> decisions = admit(limiter(), limits, 3);

    // Then the user's limit, the lowest, is the one named
    assertThat(admitted(decisions)).isEqualTo(1);
    assertThat(refused(decisions))
        .isNotEmpty()
        .extracting(Decision::refusedBy)
        .containsOnly(Scope.USER_RPM);
  }

  @Test
  void aUserGroupOverrideReplacesTheGroupLimitAndZeroExemptsTheUser() throws Exception {
    long minute = minuteAwayFromItsEdge();
    RateLimiter limiter = limiter();
    groupRpm = 4;

    // Given no override, the group's limit of 4 applies
    List<Decision> inherited = admit(limiter, limits(ApiKey.newBuilder(), User.newBuilder()), 6);
    assertThat(admitted(inherited)).isEqualTo(4);
    assertThat(refused(inherited))
        .isNotEmpty()
        .extracting(Decision::refusedBy)
        .containsOnly(Scope.GROUP_RPM);

    // When the user gets an override of 6 for the group, their own counter applies
    UserGroupLimit six =
        UserGroupLimit.newBuilder().setUserId(userId).setGroupId(groupId).setRpmOverride(6).build();
    List<Decision> overridden =
        admit(limiter, limits(ApiKey.newBuilder(), User.newBuilder(), six), 8);
    assertThat(admitted(overridden)).isEqualTo(6);
    assertThat(refused(overridden))
        .isNotEmpty()
        .extracting(Decision::refusedBy)
        .containsOnly(Scope.USER_GROUP_RPM);
    assertThat(window(redisKeys().userGroupRpm(userId, groupId), minute)).isEqualTo("6");

    // And an override of 0 exempts the user from the group limit
    UserGroupLimit exempt = six.toBuilder().setRpmOverride(0).build();
    Limits none = limits(ApiKey.newBuilder(), User.newBuilder(), exempt);
    assertThat(none.none()).isTrue();
    assertThat(admitted(admit(limiter, none, 10))).isEqualTo(10);
  }

  @Test
  void concurrencyLeasesAreHeldUntilCompletedAndThenFreed() throws Exception {
    // Given a key allowing 2 requests in flight
    RateLimiter limiter = limiter();
    Limits limits = limits(ApiKey.newBuilder().setConcurrencyLimit(2), User.newBuilder());

    // When 3 come while none has ended
    List<Decision> first = admit(limiter, limits, 3);

    // Then the third is refused by the key's concurrency
    assertThat(admitted(first)).isEqualTo(2);
    assertThat(refused(first))
        .isNotEmpty()
        .extracting(Decision::refusedBy)
        .containsOnly(Scope.KEY_CONCURRENCY);
    assertThat(refused(first).get(0).retryAfterSeconds()).isEqualTo(1);
    assertThat(cli("ZCARD", redisKeys().keyConcurrency(userId, keyId))).isEqualTo("2");

    // When one ends, another is admitted
    complete(limiter, admittedOnes(first).get(0), 0);
    Eventually.within(
        Duration.ofSeconds(5),
        () -> {
          try {
            assertThat(cli("ZCARD", redisKeys().keyConcurrency(userId, keyId))).isEqualTo("1");
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
    assertThat(admitted(admit(limiter, limits, 1))).isEqualTo(1);
  }

  @Test
  void leasesOfALimiterThatDiedExpireAndLiveOnesAreRenewed() throws Exception {
    // Given two limiters with 1 s leases, one of them holding the user's only slot
    Limits limits = limits(ApiKey.newBuilder(), User.newBuilder().setConcurrencyLimit(1));
    Vertx other = Vertx.vertx();
    RateLimiter dying =
        newLimiter(
            other,
            redisUrl(),
            DataPlaneConfig.FailMode.OPEN,
            Duration.ofSeconds(2),
            Duration.ofSeconds(1));
    assertThat(admitted(onLoop(other.getOrCreateContext(), dying, limits, 1))).isEqualTo(1);
    RateLimiter survivor =
        limiter(redisUrl(), DataPlaneConfig.FailMode.OPEN, Duration.ofSeconds(1));
    assertThat(admitted(admit(survivor, limits, 1))).isZero();

    // When the holder dies without releasing (its event loops stop: no renewal, no release)
    other.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    // Then the slot frees itself after the lease time
    Eventually.within(
        Duration.ofSeconds(5),
        () -> {
          try {
            assertThat(admitted(admit(survivor, limits, 1))).isEqualTo(1);
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });

    // And a live lease outlives its time to live because it is renewed
    Thread.sleep(2_500);
    assertThat(admitted(admit(survivor, limits, 1))).isZero();
  }

  @Test
  void tokensChargedAfterTheResponseRefuseNewRequestsWhileTheWindowIsOver() throws Exception {
    // Given a key allowing 100 tokens per minute
    long minute = minuteAwayFromItsEdge();
    RateLimiter limiter = limiter();
    Limits limits = limits(ApiKey.newBuilder().setTpmLimit(100), User.newBuilder());
    Decision first = admit(limiter, limits, 1).get(0);
    assertThat(first.admitted()).isTrue();

    // When its response used 150 tokens
    complete(limiter, first, 150);
    Eventually.within(
        Duration.ofSeconds(5),
        () -> {
          try {
            assertThat(window(redisKeys().keyTpm(userId, keyId), minute)).isEqualTo("150");
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });

    // Then the next request is refused by the key's TPM until the minute ends
    Decision next = admit(limiter, limits, 1).get(0);
    assertThat(next.refusedBy()).isEqualTo(Scope.KEY_TPM);
    assertThat(next.retryAfterSeconds()).isBetween(1L, 60L);
  }

  @Test
  void failsOpenWhenRedisIsUnreachableWithinTheTimeoutAndCountsIt() throws Exception {
    // Given a limiter whose Redis refuses connections
    RateLimiter limiter =
        limiter(unreachableUrl(), DataPlaneConfig.FailMode.OPEN, Duration.ofSeconds(5));
    Limits limits = limits(ApiKey.newBuilder().setRpmLimit(1), User.newBuilder());

    // When
    long start = System.nanoTime();
    List<Decision> decisions = admit(limiter, limits, 3);

    // Then all are admitted without limits, quickly, and counted
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1_000);
    assertThat(decisions).allMatch(d -> d.admitted() && d.unavailable());
    assertThat(
            registry
                .find("tollgate.ratelimit.redis.unavailable")
                .tag("decision", "admitted")
                .counter()
                .count())
        .isEqualTo(3);
  }

  @Test
  void failsClosedWhenConfiguredSo() throws Exception {
    RateLimiter limiter =
        limiter(unreachableUrl(), DataPlaneConfig.FailMode.CLOSED, Duration.ofSeconds(5));
    List<Decision> decisions =
        admit(limiter, limits(ApiKey.newBuilder().setRpmLimit(100), User.newBuilder()), 2);
    assertThat(decisions).allMatch(d -> !d.admitted() && d.unavailable() && d.refusedBy() == null);
  }

  static int closedPort() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
