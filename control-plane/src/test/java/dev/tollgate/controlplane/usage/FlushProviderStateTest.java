package dev.tollgate.controlplane.usage;

import static dev.tollgate.controlplane.usage.UsageFixtures.batch;
import static dev.tollgate.controlplane.usage.UsageFixtures.counters;
import static dev.tollgate.controlplane.usage.UsageFixtures.keyDelta;
import static dev.tollgate.controlplane.usage.UsageFixtures.providerDelta;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.proto.usage.v1.AdjustmentReason;
import dev.tollgate.proto.usage.v1.ConcurrencyAdjustment;
import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.ProviderKeyDelta;
import dev.tollgate.proto.usage.v1.ThrottleKind;
import dev.tollgate.proto.usage.v1.UsageBucket;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The flush's 429, estimate, latency and adaptive-concurrency fields. */
@QuarkusTest
class FlushProviderStateTest {

  private static final long T0 = 1_900_000_000_000L;

  @Inject UsageFlushService flushes;
  @Inject AgroalDataSource dataSource;

  UsageFixtures fixtures;
  long user;
  long group;
  long pk;
  String instance;

  @BeforeEach
  void setUp() throws Exception {
    fixtures = new UsageFixtures(dataSource);
    user = fixtures.user();
    group = fixtures.group();
    pk = fixtures.providerKey(group);
    instance = "dp-" + UUID.randomUUID();
  }

  @Test
  void appliesRateLimitedAndEstimatedCountsToEveryCountedTable() throws Exception {
    // Given a key and a provider key
    long key = fixtures.keys(user, 1)[0];
    Counters counted = limited(10, 6, 3, 2);

    // When a batch reports 3 rate-limited and 2 estimated requests of 10 everywhere
    flushes.apply(
        batch(instance, 1)
            .addKeyDeltas(keyDelta(key, counted, 0))
            .addProviderKeyDeltas(providerDelta(pk, counted))
            .addBuckets(
                UsageBucket.newBuilder()
                    .setBucketStartUnixS(T0 / 1000 / 60 * 60)
                    .setKeyId(key)
                    .setProviderKeyId(pk)
                    .setModel("gpt-4o-mini")
                    .setCounters(counted))
            .build());

    // Then each table has them once
    String both = "rate_limited_requests * 100 + estimated_requests";
    assertThat(fixtures.scalar("SELECT " + both + " FROM api_key WHERE id = " + key))
        .isEqualTo(302);
    assertThat(fixtures.scalar("SELECT " + both + " FROM provider_key WHERE id = " + pk))
        .isEqualTo(302);
    assertThat(fixtures.scalar("SELECT " + both + " FROM provider_group WHERE id = " + group))
        .isEqualTo(302);
    assertThat(fixtures.scalar("SELECT " + both + " FROM usage_minute WHERE key_id = " + key))
        .isEqualTo(302);
  }

  @Test
  void addsLatencyAnd429sByKindAndKeepsTheNewest429AndLastUse() throws Exception {
    // Given a batch with a concurrency 429 at T0 + 5 s and use at T0 + 6 s
    flushes.apply(
        batch(instance, 1)
            .addProviderKeyDeltas(
                state(counters(4, 2, 0, 0), 900, 1, 1, 0, T0 + 5_000, "concurrency", T0 + 6_000))
            .build());

    // When the next batch reports an older rpm 429 and an older use
    flushes.apply(
        batch(instance, 2)
            .addProviderKeyDeltas(
                state(counters(2, 1, 0, 0), 100, 1, 0, 2, T0 + 1_000, "rpm", T0 + 2_000))
            .build());

    // Then counts and latency add up, while the last 429 and the last use never move backwards
    assertThat(
            fixtures.scalar(
                "SELECT latency_ms_sum * 1000000 + upstream_429_rpm * 10000"
                    + " + upstream_429_concurrency * 100 + upstream_429_unknown"
                    + " FROM provider_key WHERE id = "
                    + pk))
        .isEqualTo(1000 * 1_000_000L + 2 * 10_000 + 1 * 100 + 2);
    assertThat(
            fixtures.scalar(
                "SELECT latency_ms_sum * 10000 + upstream_429_rpm * 100 + upstream_429_unknown"
                    + " FROM provider_group WHERE id = "
                    + group))
        .isEqualTo(1000 * 10_000L + 2 * 100 + 2);
    assertThat(millis("last_429_at")).isEqualTo(T0 + 5_000);
    assertThat(text("last_429_kind")).isEqualTo("concurrency");
    assertThat(millis("last_used_at")).isEqualTo(T0 + 6_000);

    // And a newer 429 replaces it with its kind
    flushes.apply(
        batch(instance, 3)
            .addProviderKeyDeltas(state(counters(1, 0, 0, 0), 0, 0, 0, 1, T0 + 9_000, "unknown", 0))
            .build());
    assertThat(millis("last_429_at")).isEqualTo(T0 + 9_000);
    assertThat(text("last_429_kind")).isEqualTo("unknown");
  }

  @Test
  void recordsAdjustmentsAndLearnsTheNewestLimit() throws Exception {
    // When a batch reports three adjustments, not in time order
    flushes.apply(
        batch(instance, 1)
            .addAdjustments(adjustment(T0 + 1_000, 10, 5, "concurrency_429"))
            .addAdjustments(adjustment(T0 + 3_000, 5, 6, "increase"))
            .addAdjustments(adjustment(T0 + 2_000, 6, 4, "unknown_429"))
            .build());

    // Then all are recorded and the newest one's limit is learned
    assertThat(
            fixtures.scalar(
                "SELECT count(*) FROM concurrency_adjustment WHERE dp_instance_id = '"
                    + instance
                    + "' AND provider_key_id = "
                    + pk))
        .isEqualTo(3);
    assertThat(learned()).isEqualTo(6);

    // When another replica later reports an adjustment older than the newest stored
    flushes.apply(
        batch(instance + "-b", 1).addAdjustments(adjustment(T0 + 2_500, 6, 3, "probe")).build());

    // Then it is kept in the history but does not move the learned limit backwards
    assertThat(learned()).isEqualTo(6);

    // When an operator resets learning, an adjustment made before the reset is history only
    fixtures.scalar(
        "UPDATE provider_key SET learning_reset_at = to_timestamp("
            + (T0 + 10_000)
            + " / 1000.0), learned_max_concurrent = NULL WHERE id = "
            + pk
            + " RETURNING 1");
    flushes.apply(batch(instance, 2).addAdjustments(adjustment(T0 + 9_000, 6, 2, "reset")).build());
    assertThat(
            fixtures.scalar(
                "SELECT count(learned_max_concurrent) FROM provider_key WHERE id = " + pk))
        .isZero();
    flushes.apply(
        batch(instance, 3).addAdjustments(adjustment(T0 + 11_000, 1, 2, "increase")).build());
    assertThat(learned()).isEqualTo(2);
  }

  @Test
  void deadLettersAnAdjustmentOfAnUnknownProviderKeyAndAppliesTheRest() throws Exception {
    long key = fixtures.keys(user, 1)[0];
    long unknown = fixtures.scalar("SELECT coalesce(max(id), 0) + 1000 FROM provider_key");
    FlushRequest bad =
        batch(instance, 1)
            .addKeyDeltas(keyDelta(key, counters(1, 1, 1, 1), 0))
            .addAdjustments(
                adjustment(T0, 2, 1, "concurrency_429").toBuilder().setProviderKeyId(unknown))
            .build();

    flushes.apply(bad);

    assertThat(fixtures.counters("api_key", key)).containsExactly(1, 1, 0, 1, 1, 2);
    assertThat(fixtures.deadLetters(instance))
        .containsExactly(
            "adjustment/0/unknown_provider_key: adjustments[0].provider_key_id "
                + unknown
                + " is not a provider key of this control plane");
    assertThat(
            fixtures.scalar(
                "SELECT count(*) FROM concurrency_adjustment WHERE provider_key_id = " + unknown))
        .isZero();
  }

  @Test
  void deadLettersInvalidStateNamingTheField() throws Exception {
    long key = fixtures.keys(user, 1)[0];
    ProviderKeyDelta good = state(counters(1, 0, 0, 0), 1, 1, 0, 0, T0, "rpm", T0);
    assertRejected(
        key,
        b -> b.addAdjustments(adjustment(T0, 2, 1, "probe").toBuilder().setReasonValue(0)),
        "adjustments[0].reason must be one of");
    assertRejected(
        key, b -> b.addAdjustments(adjustment(T0, 2, 0, "probe")), "adjustments[0].new_limit");
    assertRejected(
        key, b -> b.addAdjustments(adjustment(T0, 0, 2, "probe")), "adjustments[0].old_limit");
    assertRejected(
        key,
        b -> b.addAdjustments(adjustment(T0, 1, 2, "probe").toBuilder().setUtilisation(-0.5)),
        "adjustments[0].utilisation");
    assertRejected(
        key,
        b -> b.addProviderKeyDeltas(good.toBuilder().setLast429KindValue(7)),
        "provider_key_deltas[0].last_429_kind must be rpm, concurrency or unknown");
    assertRejected(
        key,
        b -> b.addProviderKeyDeltas(good.toBuilder().setLast429AtUnixMs(0)),
        "provider_key_deltas[0].last_429_kind must be unspecified");
    assertRejected(
        key,
        b -> b.addProviderKeyDeltas(good.toBuilder().setLatencyMsSum(-1)),
        "provider_key_deltas[0].latency_ms_sum must not be negative");
    assertRejected(
        key,
        b -> b.addProviderKeyDeltas(good.toBuilder().setUpstream429Unknown(-1)),
        "provider_key_deltas[0].upstream_429_unknown must not be negative");
    assertRejected(
        key,
        b -> b.addProviderKeyDeltas(good.toBuilder().setLastUsedAtUnixMs(-1)),
        "provider_key_deltas[0].last_used_at_unix_ms must not be negative");
    assertRejected(
        key,
        b ->
            b.addProviderKeyDeltas(
                good.toBuilder()
                    .setCounters(counters(1, 0, 0, 0).toBuilder().setRateLimitedRequests(-1))),
        "provider_key_deltas[0].counters.rate_limited_requests must not be negative");
    assertRejected(
        key,
        b -> b.addProviderKeyDeltas(good.toBuilder().setCounters(limited(3, 2, 2, 0))),
        "rate_limited_requests (2) exceeds failure_requests (1)");
    assertRejected(
        key,
        b -> b.addProviderKeyDeltas(good.toBuilder().setCounters(limited(3, 2, 0, 4))),
        "estimated_requests (4) exceeds requests (3)");
  }

  private void assertRejected(
      long key, java.util.function.Consumer<FlushRequest.Builder> bad, String message)
      throws Exception {
    // Given an otherwise good batch with one bad part
    String instance = "dp-" + UUID.randomUUID();
    FlushRequest.Builder batch =
        batch(instance, 1).addKeyDeltas(keyDelta(key, counters(1, 1, 1, 1), 0));
    bad.accept(batch);
    long requestsBefore = fixtures.counters("api_key", key)[0];

    // When it is applied, Then the bad part is kept naming the field, nothing of it is applied,
    // and the good part is
    flushes.apply(batch.build());
    assertThat(fixtures.deadLetters(instance))
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .contains("/invalid: ")
        .contains(message);
    assertThat(fixtures.counters("api_key", key)[0]).isEqualTo(requestsBefore + 1);
    assertThat(fixtures.counters("provider_key", pk)).containsExactly(0, 0, 0, 0, 0, 0);
    assertThat(
            fixtures.scalar(
                "SELECT count(*) FROM concurrency_adjustment WHERE provider_key_id = " + pk))
        .isZero();
  }

  /** requests, of which success; the rest failures, {@code limited} of them 429s. */
  private static Counters limited(long requests, long success, long limited, long estimated) {
    return counters(requests, success, 0, 0).toBuilder()
        .setRateLimitedRequests(limited)
        .setEstimatedRequests(estimated)
        .build();
  }

  private ProviderKeyDelta state(
      Counters counters,
      long latency,
      long rpm,
      long concurrency,
      long unknown,
      long last429,
      String kind,
      long lastUsed) {
    return ProviderKeyDelta.newBuilder()
        .setProviderKeyId(pk)
        .setCounters(counters)
        .setLatencyMsSum(latency)
        .setUpstream429Rpm(rpm)
        .setUpstream429Concurrency(concurrency)
        .setUpstream429Unknown(unknown)
        .setLast429AtUnixMs(last429)
        .setLast429Kind(ThrottleKind.valueOf("THROTTLE_KIND_" + kind.toUpperCase(Locale.ROOT)))
        .setLastUsedAtUnixMs(lastUsed)
        .build();
  }

  private ConcurrencyAdjustment adjustment(long at, int from, int to, String reason) {
    return ConcurrencyAdjustment.newBuilder()
        .setProviderKeyId(pk)
        .setAtUnixMs(at)
        .setOldLimit(from)
        .setNewLimit(to)
        .setReason(AdjustmentReason.valueOf("ADJUSTMENT_REASON_" + reason.toUpperCase(Locale.ROOT)))
        .setUtilisation(0.9)
        .build();
  }

  private long learned() throws Exception {
    return fixtures.scalar("SELECT learned_max_concurrent FROM provider_key WHERE id = " + pk);
  }

  private long millis(String column) throws Exception {
    return fixtures.scalar(
        "SELECT round(extract(epoch FROM "
            + column
            + ") * 1000) FROM provider_key WHERE id = "
            + pk);
  }

  private String text(String column) throws Exception {
    try (var c = dataSource.getConnection();
        var s = c.prepareStatement("SELECT " + column + " FROM provider_key WHERE id = ?")) {
      s.setLong(1, pk);
      try (var r = s.executeQuery()) {
        r.next();
        return r.getString(1);
      }
    }
  }
}
