package dev.tollgate.controlplane.stats;

import static dev.tollgate.controlplane.stats.StatsFixtures.counts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tollgate.controlplane.admin.ProblemException;
import dev.tollgate.controlplane.usage.UsageFlushService;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Windows, series and per-model usage at a fixed "now", in years no other test writes usage in, so
 * the whole-installation scope counts exactly what each test flushed.
 */
@QuarkusTest
class UsageStatsServiceTest {

  @Inject UsageFlushService flushes;
  @Inject UsageStatsService stats;

  StatsFixtures fixtures;

  @BeforeEach
  void setUp() {
    fixtures = new StatsFixtures(flushes);
  }

  @Test
  void windowsCountBucketsJustInsideAndNotJustOutside() throws Exception {
    // Given now = 12:34:30 and buckets at the edges of each window, each with its own power of ten
    Instant minute = StatsFixtures.quietMinute(2061);
    Instant now = minute.plusSeconds(30);
    long key = fixtures.key();
    fixtures.use(key, minute, 1); // this minute: in every window
    fixtures.use(key, minute.minusSeconds(59 * 60), 10); // first minute of the last hour
    fixtures.use(key, minute.minusSeconds(60 * 60), 100); // just before it
    fixtures.use(key, minute.minusSeconds(24 * 3600 - 60), 1_000); // first minute of 24h
    fixtures.use(key, minute.minusSeconds(24 * 3600), 10_000); // just before it

    // When the windows are read for the installation and for the key
    for (UsageScope scope : List.of(UsageScope.ALL, UsageScope.of(key, null, null, null))) {
      UsageWindows windows = stats.windows(scope, now);

      // Then each counts exactly the buckets inside it
      assertThat(windows.windows())
          .extracting(UsageWindow::window)
          .containsExactly("1m", "1h", "8h", "24h", "month");
      assertThat(windows.windows())
          .extracting(w -> w.requests().total())
          .containsExactly(1L, 11L, 111L, 1_111L, monthTotal(now, minute));
      UsageWindow hour = windows.windows().get(1);
      assertThat(hour.from()).isEqualTo(minute.minusSeconds(59 * 60));
      assertThat(hour.to()).isEqualTo(minute.plusSeconds(60));
      assertThat(hour.tokens()).isEqualTo(new TokenCounts(110, 22, 132));
    }
  }

  @Test
  void windowsSeriesAndModelsCountEstimatedRequests() throws Exception {
    // Given 5 requests this minute of which 3 had estimated tokens, and 1 of 2 two hours before
    Instant minute = StatsFixtures.quietMinute(2065);
    Instant now = minute.plusSeconds(10);
    long key = fixtures.key();
    fixtures.use(key, fixtures.providerKey, "gpt-4o-mini", minute, counts(5, 1, 0, 3));
    fixtures.use(
        key,
        fixtures.providerKey,
        "gpt-4o-mini",
        minute.minusSeconds(2 * 3600),
        counts(2, 0, 0, 1));
    UsageScope scope = UsageScope.of(key, null, null, null);

    // When the windows, the minute series and the per-model usage are read
    UsageWindows windows = stats.windows(scope, now);
    UsageSeries series =
        stats.series(scope, minute.minusSeconds(120).toString(), now.toString(), "1m", now);
    KeyUsage models = stats.keyUsage(key, "24h", now);

    // Then each carries the estimated requests of what it covers
    assertThat(windows.windows())
        .extracting(w -> w.requests().estimated())
        .containsExactly(3L, 3L, 4L, 4L, monthEstimated(now, minute));
    assertThat(series.points())
        .extracting(p -> p.requests().estimated())
        .containsExactly(0L, 0L, 3L);
    assertThat(models.models().get(0).requests()).isEqualTo(new RequestCounts(7, 6, 1, 0, 4));
  }

  private static long monthEstimated(Instant now, Instant minute) {
    String month = now.toString().substring(0, 7);
    return 3 + (minute.minusSeconds(2 * 3600).toString().startsWith(month) ? 1 : 0);
  }

  /** The buckets of windowsCount… that fall in now's calendar month. */
  private static long monthTotal(Instant now, Instant minute) {
    long total = 0;
    long[][] buckets = {{0, 1}, {59 * 60, 10}, {60 * 60, 100}, {24 * 3600 - 60, 1_000}};
    String month = now.toString().substring(0, 7);
    for (long[] b : buckets) {
      if (minute.minusSeconds(b[0]).toString().startsWith(month)) {
        total += b[1];
      }
    }
    if (minute.minusSeconds(24 * 3600).toString().startsWith(month)) {
      total += 10_000;
    }
    return total;
  }

  @Test
  void monthWindowStartsAtMidnightUtcOnTheFirst() throws Exception {
    // Given now is 00:30 on the 1st of a month, with use 20 minutes before and after midnight,
    // and on the 15th of the previous month
    Instant midnight = Instant.parse("2062-05-01T00:00:00Z");
    Instant now = midnight.plusSeconds(30 * 60);
    long key = fixtures.key();
    fixtures.use(key, midnight.minusSeconds(20 * 60), 5);
    fixtures.use(key, midnight.plusSeconds(20 * 60), 7);
    fixtures.use(key, Instant.parse("2062-04-15T10:00:00Z"), 1000);

    // When the windows are read
    UsageWindows windows = stats.windows(UsageScope.of(key, null, null, null), now);

    // Then the month counts only what happened since midnight, the last hour both
    assertThat(windows.windows().get(4).from()).isEqualTo(midnight);
    assertThat(windows.windows().get(4).requests().total()).isEqualTo(7);
    assertThat(windows.windows().get(1).requests().total()).isEqualTo(12);
    assertThat(windows.windows().get(3).requests().total()).isEqualTo(12);
  }

  @Test
  void monthWindowReadsDaysHoursAndMinutesThatAgreeWithEachOther() throws Exception {
    // Given use on several days of a month, several hours of today and minutes of this hour
    Instant now = Instant.parse("2063-03-17T15:42:10Z");
    long key = fixtures.key();
    String[] at = {
      "2063-03-01T00:00:00Z", "2063-03-09T23:59:00Z", "2063-03-17T00:00:00Z",
      "2063-03-17T14:59:00Z", "2063-03-17T15:00:00Z", "2063-03-17T15:42:00Z",
      "2063-02-28T23:59:00Z"
    };
    long expected = 0;
    for (int i = 0; i < at.length; i++) {
      fixtures.use(key, Instant.parse(at[i]), 1L << i);
      expected += i < 6 ? 1L << i : 0;
    }

    // When the month is read
    UsageWindow month = stats.windows(UsageScope.of(key, null, null, null), now).windows().get(4);

    // Then it is exactly the sum of this month's buckets
    assertThat(month.requests().total()).isEqualTo(expected);
  }

  @Test
  void windowsOfEachScopeCountOnlyThatScope() throws Exception {
    // Given two keys of one user, a key of another user in another group, and two models
    Instant minute = StatsFixtures.quietMinute(2064);
    StatsFixtures other = new StatsFixtures(flushes);
    long a = fixtures.key();
    long b = fixtures.key();
    long c = other.key();
    String model = "scope-model-" + minute.getEpochSecond();
    fixtures.use(a, fixtures.providerKey, "gpt-4o-mini", minute, counts(1, 0, 0));
    fixtures.use(b, fixtures.providerKey, model, minute, counts(10, 3, 2));
    other.use(c, other.providerKey, model, minute, counts(100, 0, 0));
    fixtures.use(a, 0, model, minute, counts(1000, 1000, 0)); // reached no upstream
    Instant now = minute.plusSeconds(1);

    // Then every scope counts its own
    assertThat(hour(UsageScope.ALL, now).requests())
        .isEqualTo(new RequestCounts(1111, 108, 1003, 2, 0));
    assertThat(hour(UsageScope.of(a, null, null, null), now).requests().total()).isEqualTo(1001);
    assertThat(hour(UsageScope.of(null, fixtures.user, null, null), now).requests().total())
        .isEqualTo(1011);
    assertThat(hour(UsageScope.of(null, null, fixtures.group, null), now).requests().total())
        .isEqualTo(11);
    assertThat(hour(UsageScope.of(null, null, other.group, null), now).requests().total())
        .isEqualTo(100);
    assertThat(hour(UsageScope.of(null, null, null, model), now).requests().total())
        .isEqualTo(1110);
  }

  private UsageWindow hour(UsageScope scope, Instant now) throws Exception {
    return stats.windows(scope, now).windows().get(1);
  }

  @Test
  void seriesHasEveryBucketOfTheStepWithZerosBetween() throws Exception {
    // Given use at 10:05, 10:07 and 12:00 of one day
    Instant day = StatsFixtures.quietMinute(2065).truncatedTo(java.time.temporal.ChronoUnit.DAYS);
    long key = fixtures.key();
    fixtures.use(key, day.plusSeconds(10 * 3600 + 5 * 60), 1);
    fixtures.use(key, day.plusSeconds(10 * 3600 + 7 * 60), 2);
    fixtures.use(key, day.plusSeconds(12 * 3600), 4);
    UsageScope scope = UsageScope.of(key, null, null, null);

    // When series are read per minute, hour and day
    UsageSeries minutes =
        stats.series(
            scope,
            day.plusSeconds(10 * 3600 + 4 * 60 + 30).toString(),
            day.plusSeconds(10 * 3600 + 8 * 60).toString(),
            "1m",
            day);
    UsageSeries hours =
        stats.series(
            UsageScope.ALL,
            day.plusSeconds(9 * 3600).toString(),
            day.plusSeconds(13 * 3600).toString(),
            "1h",
            day);
    UsageSeries days =
        stats.series(
            scope, day.minusSeconds(86_400).toString(), day.plusSeconds(1).toString(), "1d", day);

    // Then every bucket is there, from rounded down and to rounded up, zeros included
    assertThat(minutes.from()).isEqualTo(day.plusSeconds(10 * 3600 + 4 * 60));
    assertThat(minutes.points())
        .extracting(p -> p.requests().total())
        .containsExactly(0L, 1L, 0L, 2L);
    assertThat(hours.points())
        .extracting(p -> p.requests().total())
        .containsExactly(0L, 3L, 0L, 4L);
    assertThat(days.to()).isEqualTo(day.plusSeconds(86_400));
    assertThat(days.points()).extracting(p -> p.requests().total()).containsExactly(0L, 7L);
  }

  @Test
  void seriesRefusesMoreThan1500PointsAndBackwardRanges() throws Exception {
    Instant now = Instant.parse("2030-01-01T00:00:00Z");
    assertThatThrownBy(
            () -> stats.series(UsageScope.ALL, "2029-12-30T00:00:00Z", now.toString(), "1m", now))
        .isInstanceOf(ProblemException.class)
        .hasMessageContaining("at most 1500")
        .extracting(e -> ((ProblemException) e).field())
        .isEqualTo("from");
    assertThatThrownBy(
            () -> stats.series(UsageScope.ALL, now.toString(), now.toString(), "1h", now))
        .hasMessageContaining("from must be before to");
    // 1500 points exactly is fine
    assertThat(
            stats
                .series(
                    UsageScope.ALL,
                    now.minusSeconds(1500 * 60).toString(),
                    now.toString(),
                    "1m",
                    now)
                .points())
        .hasSize(1500);
  }

  @Test
  void keyUsageIsPerModelAndLongPeriodsStartAtMidnight() throws Exception {
    // Given a key used with two models today and one of them 3 days ago
    Instant now = StatsFixtures.quietMinute(2066);
    long key = fixtures.key();
    fixtures.use(key, fixtures.providerKey, "model-a", now.minusSeconds(600), counts(3, 1, 0));
    fixtures.use(key, fixtures.providerKey, "model-b", now.minusSeconds(60), counts(5, 0, 0));
    fixtures.use(
        key, fixtures.providerKey, "model-a", now.minusSeconds(3 * 86_400), counts(7, 0, 0));

    // When its usage is read over 24h and 7d
    KeyUsage day = stats.keyUsage(key, "24h", now);
    KeyUsage week = stats.keyUsage(key, "7d", now);

    // Then models are listed most requests first with their tokens
    assertThat(day.models()).extracting(ModelUsage::model).containsExactly("model-b", "model-a");
    assertThat(day.models().get(1).requests()).isEqualTo(new RequestCounts(3, 2, 1, 0, 0));
    assertThat(day.models().get(1).tokens()).isEqualTo(new TokenCounts(30, 6, 36));
    assertThat(week.models()).extracting(m -> m.requests().total()).containsExactly(10L, 5L);
    assertThat(week.from())
        .isEqualTo(now.minusSeconds(7 * 86_400).truncatedTo(java.time.temporal.ChronoUnit.DAYS));
  }

  @Test
  void attentionListsTheKeysFailingMostInTheWindow() throws Exception {
    // Given three keys failing 5, 9 and 0 times, and one failing long before the window
    Instant now = StatsFixtures.quietMinute(2067);
    long five = fixtures.key();
    long nine = fixtures.key();
    long none = fixtures.key();
    long old = fixtures.key();
    fixtures.use(five, fixtures.providerKey, "m", now.minusSeconds(60), counts(10, 5, 4));
    fixtures.use(nine, fixtures.providerKey, "m", now.minusSeconds(60), counts(20, 9, 1));
    fixtures.use(none, fixtures.providerKey, "m", now.minusSeconds(60), counts(50, 0, 0));
    fixtures.use(old, fixtures.providerKey, "m", now.minusSeconds(3 * 3600), counts(99, 99, 99));

    // When the attention lists are read
    AttentionList failures = stats.attention("keys", "failures", "1h", null, now);
    AttentionList limited = stats.attention("keys", "rate_limited", "1h", "1", now);
    AttentionList providerKeys = stats.attention("provider_keys", "failures", "1h", null, now);

    // Then the failing keys of the window come most first, with their requests and rate
    assertThat(failures.items()).extracting(AttentionItem::id).containsExactly(nine, five);
    assertThat(failures.items().get(0))
        .isEqualTo(
            new AttentionItem(nine, failures.items().get(0).name(), "active", 20, 9, 1, 9 / 20.0));
    assertThat(limited.items()).extracting(AttentionItem::id).containsExactly(five);
    assertThat(providerKeys.items())
        .extracting(AttentionItem::id)
        .containsExactly(fixtures.providerKey);
    assertThat(providerKeys.items().get(0).failures()).isEqualTo(14);
    assertThat(providerKeys.items().get(0).requests()).isEqualTo(80);
  }
}
