package dev.tollgate.controlplane.usage;

import static dev.tollgate.controlplane.usage.UsageFixtures.batch;
import static dev.tollgate.controlplane.usage.UsageFixtures.counters;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.UsageBucket;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Every tier the flush writes agrees with the minute buckets. */
@QuarkusTest
class UsageTiersTest {

  @Inject UsageFlushService flushes;
  @Inject AgroalDataSource dataSource;

  @Test
  void hourAndDayTiersAndEveryScopeAgreeWithTheMinuteBuckets() throws Exception {
    // Given two users' keys, two groups with provider keys, two models, and a stretch of minutes
    // (in a year no other test writes) that crosses an hour and a day boundary
    var fixtures = new UsageFixtures(dataSource);
    long[] users = {fixtures.user(), fixtures.user()};
    long[] keys = {
      fixtures.keys(users[0], 1)[0], fixtures.keys(users[0], 1)[0], fixtures.keys(users[1], 1)[0]
    };
    long[] groups = {fixtures.group(), fixtures.group()};
    long[] pks = {
      fixtures.providerKey(groups[0]),
      fixtures.providerKey(groups[0]),
      fixtures.providerKey(groups[1])
    };
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String[] models = {"tier-a-" + suffix, "tier-b-" + suffix};
    Random random = new Random(7);
    long dayStart = 2_051_222_400L + 86_400L * random.nextInt(3000);
    long first = dayStart - 90 * 60;
    String instance = "dp-" + UUID.randomUUID();

    // When 20 batches of random buckets in those minutes are flushed, some landing on the same row
    for (int seq = 1; seq <= 20; seq++) {
      FlushRequest.Builder b = batch(instance, seq);
      for (int i = 0; i < 30; i++) {
        long requests = 1 + random.nextInt(5);
        long success = random.nextInt((int) requests + 1);
        b.addBuckets(
            UsageBucket.newBuilder()
                .setBucketStartUnixS(first + 60L * random.nextInt(180))
                .setKeyId(keys[random.nextInt(keys.length)])
                .setProviderKeyId(random.nextInt(4) == 0 ? 0 : pks[random.nextInt(pks.length)])
                .setModel(models[random.nextInt(models.length)])
                .setCounters(
                    counters(requests, success, random.nextInt(100), random.nextInt(50)).toBuilder()
                        .setRateLimitedRequests(random.nextInt((int) (requests - success) + 1))
                        .setEstimatedRequests(random.nextInt((int) requests + 1)))
                .setLatencyMsSum(random.nextInt(1000)));
      }
      flushes.apply(b.build());
    }

    // Then every tier, per key and per scope, holds exactly the minute buckets' sums
    String range =
        " bucket_start >= to_timestamp("
            + first
            + ") AND bucket_start < to_timestamp("
            + (first + 180 * 60)
            + ")";
    // Hour and day rows start before the first minute: the scope side reads the days around it
    String around =
        " bucket_start >= to_timestamp("
            + (dayStart - 86_400)
            + ") AND bucket_start < to_timestamp("
            + (dayStart + 86_400)
            + ")";
    String keyList = "(" + keys[0] + "," + keys[1] + "," + keys[2] + ")";
    String minutes =
        "(SELECT m.*, a.user_id, p.group_id FROM usage_minute m JOIN api_key a ON a.id = m.key_id"
            + " LEFT JOIN provider_key p ON p.id = m.provider_key_id WHERE m.key_id IN "
            + keyList
            + " AND m."
            + range.trim()
            + ") x";
    String sums =
        "sum(requests), sum(success_requests), sum(failure_requests), sum(rate_limited_requests),"
            + " sum(estimated_requests), sum(prompt_tokens), sum(completion_tokens),"
            + " sum(total_tokens), sum(latency_ms_sum)";
    for (String tier : new String[] {"hour", "day"}) {
      String truncate = "date_trunc('" + tier + "', bucket_start AT TIME ZONE 'UTC')";
      assertSame(
          "SELECT "
              + truncate
              + ", key_id, model, "
              + sums
              + " FROM "
              + minutes
              + " GROUP BY 1, 2, 3",
          "SELECT bucket_start AT TIME ZONE 'UTC', key_id, model, "
              + sums
              + " FROM usage_"
              + tier
              + " WHERE key_id IN "
              + keyList
              + " GROUP BY 1, 2, 3");
      String scopes =
          "scope = 'user' AND subject IN ('"
              + users[0]
              + "','"
              + users[1]
              + "')"
              + " OR scope = 'group' AND subject IN ('"
              + groups[0]
              + "','"
              + groups[1]
              + "')"
              + " OR scope = 'provider_key' AND subject IN ('"
              + pks[0]
              + "','"
              + pks[1]
              + "','"
              + pks[2]
              + "')"
              + " OR scope = 'model' AND subject IN ('"
              + models[0]
              + "','"
              + models[1]
              + "')"
              + " OR scope = 'all'";
      for (String scopeTier : new String[] {"minute", tier}) {
        String bucket = scopeTier.equals("minute") ? "bucket_start AT TIME ZONE 'UTC'" : truncate;
        assertSame(
            "SELECT 'user', user_id::text, "
                + bucket
                + ", "
                + sums
                + " FROM "
                + minutes
                + " GROUP BY 2, 3"
                + " UNION ALL SELECT 'group', group_id::text, "
                + bucket
                + ", "
                + sums
                + " FROM "
                + minutes
                + " WHERE provider_key_id <> 0 GROUP BY 2, 3"
                + " UNION ALL SELECT 'provider_key', provider_key_id::text, "
                + bucket
                + ", "
                + sums
                + " FROM "
                + minutes
                + " WHERE provider_key_id <> 0 GROUP BY 2, 3"
                + " UNION ALL SELECT 'model', model, "
                + bucket
                + ", "
                + sums
                + " FROM "
                + minutes
                + " GROUP BY 2, 3"
                + " UNION ALL SELECT 'all', '', "
                + bucket
                + ", "
                + sums
                + " FROM "
                + minutes
                + " GROUP BY 3",
            "SELECT scope, subject, bucket_start AT TIME ZONE 'UTC', "
                + sums
                + " FROM usage_scope_"
                + scopeTier
                + " WHERE ("
                + scopes
                + ") AND "
                + around
                + " GROUP BY 1, 2, 3");
      }
    }
    // And the failures per key and hour are those of the minute buckets that had failures
    assertSame(
        "SELECT date_trunc('hour', bucket_start AT TIME ZONE 'UTC'), key_id, sum(failure_requests),"
            + " sum(rate_limited_requests) FROM "
            + minutes
            + " WHERE failure_requests > 0"
            + " GROUP BY 1, 2",
        "SELECT bucket_start AT TIME ZONE 'UTC', key_id, failure_requests, rate_limited_requests"
            + " FROM usage_key_failure_hour WHERE key_id IN "
            + keyList);
  }

  /** Both queries answer the same non-empty set of rows. */
  private void assertSame(String expected, String actual) throws Exception {
    try (var c = dataSource.getConnection();
        var s = c.createStatement()) {
      try (var r = s.executeQuery("SELECT count(*) FROM (" + expected + ") e")) {
        r.next();
        assertThat(r.getLong(1)).as("rows of " + expected).isPositive();
      }
      for (String[] pair : new String[][] {{expected, actual}, {actual, expected}}) {
        try (var r =
            s.executeQuery("SELECT count(*) FROM ((" + pair[0] + ") EXCEPT (" + pair[1] + ")) d")) {
          r.next();
          assertThat(r.getLong(1)).as(pair[0] + "\n  EXCEPT\n" + pair[1]).isZero();
        }
      }
    }
  }
}
