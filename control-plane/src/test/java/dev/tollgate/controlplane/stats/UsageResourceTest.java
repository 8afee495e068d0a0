package dev.tollgate.controlplane.stats;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.stats.StatsFixtures.counts;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;

import dev.tollgate.controlplane.admin.AdminApi;
import dev.tollgate.controlplane.usage.UsageFlushService;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.ProviderKeyDelta;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The summary endpoints over HTTP: authentication, parameters, and exact numbers. */
@QuarkusTest
class UsageResourceTest {

  @Inject UsageFlushService flushes;

  StatsFixtures fixtures;
  Instant halfAnHourAgo;

  @BeforeEach
  void setUp() {
    fixtures = new StatsFixtures(flushes);
    halfAnHourAgo = Instant.now().minusSeconds(30 * 60).truncatedTo(ChronoUnit.MINUTES);
  }

  @Test
  void everySummaryNeedsTheOperatorToken() {
    for (String path :
        List.of(
            "/admin/v1/usage/summary",
            "/admin/v1/usage/windows",
            "/admin/v1/usage/timeseries",
            "/admin/v1/keys/stats",
            "/admin/v1/keys/1/usage",
            "/admin/v1/provider-groups/1/stats",
            "/admin/v1/provider-keys/1/stats",
            "/admin/v1/attention")) {
      given().get(path).then().statusCode(401).body("field", equalTo("Authorization"));
      given().header("Authorization", "Bearer wrong").get(path).then().statusCode(401);
    }
  }

  @Test
  void windowsAndTimeseriesOfAKeyCountItsUse() throws Exception {
    // Given a key used half an hour ago
    long key = fixtures.key();
    fixtures.use(key, fixtures.providerKey, "gpt-4o-mini", halfAnHourAgo, counts(3, 1, 1, 1));

    // When its windows are read, Then the last hour and day count it and the last minute not
    JsonPath windows =
        asOperator()
            .queryParam("key_id", key)
            .get("/admin/v1/usage/windows")
            .then()
            .statusCode(200)
            .body("scope", equalTo("key"))
            .body("scope_id", equalTo((int) key))
            .body("windows.window", equalTo(List.of("1m", "1h", "8h", "24h", "month")))
            .extract()
            .jsonPath();
    assertThat(windows.getLong("windows[0].requests.total")).isZero();
    assertThat(windows.getMap("windows[1].requests"))
        .isEqualTo(
            Map.of("total", 3, "success", 2, "failure", 1, "rate_limited", 1, "estimated", 1));
    assertThat(windows.getMap("windows[3].tokens"))
        .isEqualTo(Map.of("prompt", 30, "completion", 6, "total", 36));

    // And its minute series has the bucket, every other minute zero
    JsonPath series =
        asOperator()
            .queryParam("key_id", key)
            .queryParam("step", "1m")
            .queryParam("from", halfAnHourAgo.minusSeconds(120).toString())
            .queryParam("to", halfAnHourAgo.plusSeconds(180).toString())
            .get("/admin/v1/usage/timeseries")
            .then()
            .statusCode(200)
            .body("step", equalTo("1m"))
            .body("points", hasSize(5))
            .extract()
            .jsonPath();
    assertThat(series.getList("points.requests.total", Integer.class))
        .containsExactly(0, 0, 3, 0, 0);
    assertThat(series.getString("points[2].bucket_start")).isEqualTo(halfAnHourAgo.toString());
  }

  @Test
  void windowsAndTimeseriesRefuseBadParametersNamingThem() {
    String[][] cases = {
      {"key_id", "abc", "key_id"},
      {"user_id", "0", "user_id"},
      {"model", "m".repeat(201), "model"},
    };
    for (String[] c : cases) {
      for (String path : List.of("/admin/v1/usage/windows", "/admin/v1/usage/timeseries")) {
        asOperator()
            .queryParam(c[0], c[1])
            .get(path)
            .then()
            .statusCode(400)
            .contentType("application/problem+json")
            .body("field", equalTo(c[2]));
      }
    }
    asOperator()
        .queryParam("key_id", 1)
        .queryParam("group_id", 2)
        .get("/admin/v1/usage/windows")
        .then()
        .statusCode(400)
        .body("field", equalTo("group_id"))
        .body(
            "detail",
            equalTo(
                "give at most one of key_id, user_id, group_id and model; got key_id and group_id"));
    for (Map<String, String> bad :
        List.of(
            Map.of("step", "2m"),
            Map.of("from", "yesterday"),
            Map.of("to", "2030-13-01T00:00:00Z"),
            Map.of("from", "2030-01-02T00:00:00Z", "to", "2030-01-01T00:00:00Z"),
            Map.of("from", "2030-01-01T00:00:00Z", "to", "2030-01-03T00:00:00Z", "step", "1m"))) {
      asOperator()
          .queryParams(bad)
          .get("/admin/v1/usage/timeseries")
          .then()
          .statusCode(400)
          .body(
              "field",
              equalTo(
                  bad.containsKey("step") && bad.size() == 1
                      ? "step"
                      : bad.containsKey("to") && bad.size() == 1 ? "to" : "from"));
    }
    asOperator()
        .queryParam("user_id", Long.MAX_VALUE)
        .get("/admin/v1/usage/windows")
        .then()
        .statusCode(404)
        .body("field", equalTo("user_id"));
  }

  @Test
  void summaryListsEachGroupWithRatesComputedWhenRead() throws Exception {
    // Given a group whose provider key served 4 requests, 1 failing
    long key = fixtures.key();
    fixtures.use(key, fixtures.providerKey, "gpt-4o-mini", halfAnHourAgo, counts(4, 1, 0, 2));

    // When the summary is read
    JsonPath summary =
        asOperator().get("/admin/v1/usage/summary").then().statusCode(200).extract().jsonPath();

    // Then the group is there with its counts and rates, and the overall rates match the totals
    String group = "groups.find { it.id == " + fixtures.group + " }";
    assertThat(summary.getMap(group + ".requests"))
        .isEqualTo(
            Map.of("total", 4, "success", 3, "failure", 1, "rate_limited", 0, "estimated", 2));
    assertThat(summary.getDouble(group + ".success_rate")).isEqualTo(0.75);
    assertThat(summary.getDouble(group + ".failure_rate")).isEqualTo(0.25);
    long total = summary.getLong("requests.total");
    assertThat(
            summary.getList("groups.requests.total", Long.class).stream().mapToLong(l -> l).sum())
        .isEqualTo(total);
    assertThat(summary.getDouble("success_rate"))
        .isCloseTo((double) summary.getLong("requests.success") / total, within(1e-6));
  }

  @Test
  void keyStatsMoveByExactlyWhatWasCreatedAndUsed() throws Exception {
    // Given the stats now
    JsonPath before = keyStats();

    // When a limited key and an unlimited one are created, the second disabled and used
    long limited =
        asOperator()
            .body(
                Map.of(
                    "user_id",
                    fixtures.user,
                    "name",
                    AdminApi.unique("limited"),
                    "group_ids",
                    List.of(fixtures.group),
                    "quota_limit",
                    1000))
            .post("/admin/v1/keys")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath()
            .getLong("id");
    long used = fixtures.key();
    fixtures.use(used, fixtures.providerKey, "gpt-4o-mini", halfAnHourAgo, counts(5, 2, 1, 1));
    asOperator()
        .body(Map.of("status", "disabled"))
        .patch("/admin/v1/keys/" + used)
        .then()
        .statusCode(200);
    JsonPath after = keyStats();

    // Then every figure moved by exactly that
    assertThat(limited).isPositive();
    assertThat(after.getLong("total") - before.getLong("total")).isEqualTo(2);
    assertThat(after.getLong("by_status.active") - before.getLong("by_status.active")).isEqualTo(1);
    assertThat(after.getLong("by_status.disabled") - before.getLong("by_status.disabled"))
        .isEqualTo(1);
    assertThat(after.getMap("by_status").keySet())
        .contains("active", "disabled", "expired", "quota_exhausted", "revoked");
    assertThat(after.getLong("quota.limited_keys") - before.getLong("quota.limited_keys"))
        .isEqualTo(1);
    assertThat(after.getLong("quota.limit_sum") - before.getLong("quota.limit_sum"))
        .isEqualTo(1000);
    assertThat(after.getLong("quota.used_sum") - before.getLong("quota.used_sum")).isEqualTo(60);
    for (String[] field :
        new String[][] {
          {"requests.total", "5"},
          {"requests.success", "3"},
          {"requests.failure", "2"},
          {"requests.rate_limited", "1"},
          {"requests.estimated", "1"},
          {"tokens.prompt", "50"},
          {"tokens.total", "60"}
        }) {
      assertThat(after.getLong(field[0]) - before.getLong(field[0]))
          .as(field[0])
          .isEqualTo(Long.parseLong(field[1]));
    }
  }

  private static JsonPath keyStats() {
    return asOperator().get("/admin/v1/keys/stats").then().statusCode(200).extract().jsonPath();
  }

  @Test
  void keyUsageIsPerModelAndRefusesABadPeriod() throws Exception {
    long key = fixtures.key();
    fixtures.use(key, fixtures.providerKey, "model-x", halfAnHourAgo, counts(2, 0, 0));
    fixtures.use(key, fixtures.providerKey, "model-y", halfAnHourAgo, counts(6, 0, 0));

    asOperator()
        .get("/admin/v1/keys/" + key + "/usage")
        .then()
        .statusCode(200)
        .body("period", equalTo("24h"))
        .body("models.model", equalTo(List.of("model-y", "model-x")))
        .body("models[0].requests.total", equalTo(6))
        .body("models[0].tokens.total", equalTo(72));
    asOperator()
        .queryParam("period", "1m")
        .get("/admin/v1/keys/" + key + "/usage")
        .then()
        .statusCode(200)
        .body("models", hasSize(0));
    for (String bad : List.of("2w", "0h", "91d", "h")) {
      asOperator()
          .queryParam("period", bad)
          .get("/admin/v1/keys/" + key + "/usage")
          .then()
          .statusCode(400)
          .body("field", equalTo("period"));
    }
    asOperator().get("/admin/v1/keys/" + Long.MAX_VALUE + "/usage").then().statusCode(404);
  }

  @Test
  void providerGroupAndKeyStatsHaveRates429sAndMeanLatency() throws Exception {
    // Given a provider key that served 10 requests (4 failed) in 2 500 ms with 429s of each kind
    flushes.apply(
        FlushRequest.newBuilder()
            .setDpInstanceId("stats-" + UUID.randomUUID())
            .setSequence(1)
            .addProviderKeyDeltas(
                ProviderKeyDelta.newBuilder()
                    .setProviderKeyId(fixtures.providerKey)
                    .setCounters(counts(10, 4, 3))
                    .setLatencyMsSum(2_500)
                    .setUpstream429Rpm(1)
                    .setUpstream429Concurrency(2)
                    .setUpstream429Unknown(3)
                    .setLast429AtUnixMs(1_900_000_000_000L)
                    .setLast429Kind(
                        dev.tollgate.proto.usage.v1.ThrottleKind.THROTTLE_KIND_CONCURRENCY))
            .build());

    // Then both read them back with rates and mean latency
    for (String path :
        List.of(
            "/admin/v1/provider-keys/" + fixtures.providerKey + "/stats",
            "/admin/v1/provider-groups/" + fixtures.group + "/stats")) {
      asOperator()
          .get(path)
          .then()
          .statusCode(200)
          .body("requests.total", equalTo(10))
          .body("requests.failure", equalTo(4))
          .body("success_rate", equalTo(0.6f))
          .body("failure_rate", equalTo(0.4f))
          .body("mean_latency_ms", equalTo(250.0f))
          .body("upstream429s.total", equalTo(6))
          .body("upstream429s.concurrency", equalTo(2));
    }
    asOperator()
        .get("/admin/v1/provider-keys/" + fixtures.providerKey + "/stats")
        .then()
        .body("group_id", equalTo((int) fixtures.group))
        .body("last429_kind", equalTo("concurrency"))
        .body("last429_at", equalTo("2030-03-17T17:46:40Z"));
    asOperator()
        .get("/admin/v1/provider-groups/" + fixtures.group + "/stats")
        .then()
        .body("group_id", nullValue());
    asOperator().get("/admin/v1/provider-keys/" + Long.MAX_VALUE + "/stats").then().statusCode(404);
    asOperator()
        .get("/admin/v1/provider-groups/" + Long.MAX_VALUE + "/stats")
        .then()
        .statusCode(404);
  }

  @Test
  void attentionRefusesBadParametersNamingThem() {
    for (String[] bad :
        new String[][] {
          {"subject", "users"},
          {"by", "latency"},
          {"window", "8d"},
          {"window", "soon"},
          {"limit", "0"},
          {"limit", "101"},
          {"limit", "x"}
        }) {
      asOperator()
          .queryParam(bad[0], bad[1])
          .get("/admin/v1/attention")
          .then()
          .statusCode(400)
          .body("field", equalTo(bad[0]));
    }
    asOperator()
        .get("/admin/v1/attention")
        .then()
        .statusCode(200)
        .body("subject", equalTo("keys"))
        .body("by", equalTo("failures"))
        .body("window", equalTo("1h"));
  }
}
