package dev.tollgate.controlplane.stats;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import dev.tollgate.controlplane.admin.AdminApi;
import dev.tollgate.controlplane.usage.FlushRepository;
import dev.tollgate.controlplane.usage.UsageFlushService;
import dev.tollgate.proto.usage.v1.CircuitState;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.ProviderKeyHealthReport;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Provider keys' health as data planes report it in their flushes, read back through the admin API:
 * each data plane's newest report counts, old ones do not, bad ones change nothing.
 */
@QuarkusTest
class ProviderKeyHealthTest {

  @Inject UsageFlushService flushes;

  long group;
  long first;
  long second;
  String dpA;
  String dpB;
  long sequenceA;
  long sequenceB;

  @BeforeEach
  void setUp() {
    group = AdminApi.createGroup();
    first = AdminApi.createProviderKey(group, "sk-health-test-first");
    second = AdminApi.createProviderKey(group, "sk-health-test-second");
    dpA = "dp-a-" + UUID.randomUUID();
    dpB = "dp-b-" + UUID.randomUUID();
  }

  @Test
  void combinesEachDataPlanesNewestReport() throws Exception {
    // Given data plane A sees the first key open and cooling for a minute, B sees it closed
    long now = System.currentTimeMillis();
    long cooldown = now + 60_000;
    flushA(report(first, CircuitState.CIRCUIT_STATE_OPEN, cooldown, 7, now));
    flushB(report(first, CircuitState.CIRCUIT_STATE_CLOSED, 0, 0, now));

    // When the key's stats and the group's health are read
    JsonPath stats = providerKeyStats(first);
    JsonPath list = groupHealth();

    // Then the worst state wins, with the latest cooldown and most errors in a row
    assertThat(stats.getString("health.circuit_state")).isEqualTo("open");
    assertThat(stats.getInt("health.data_planes")).isEqualTo(2);
    assertThat(stats.getInt("health.open_on")).isEqualTo(1);
    assertThat(stats.getInt("health.half_open_on")).isZero();
    assertThat(Instant.parse(stats.getString("health.cooldown_until")).toEpochMilli())
        .isEqualTo(cooldown);
    assertThat(stats.getInt("health.consecutive_failures")).isEqualTo(7);
    assertThat(list.getLong("group_id")).isEqualTo(group);
    assertThat(list.getList("items.provider_key_id", Long.class)).containsExactly(first, second);
    assertThat(list.getString("items[0].circuit_state")).isEqualTo("open");
    // and a key no data plane reported is closed
    assertThat(list.getString("items[1].circuit_state")).isEqualTo("closed");
    assertThat(list.getInt("items[1].data_planes")).isZero();
    assertThat(list.getString("items[1].reported_at")).isNull();

    // When A's next batch reports the key half-open, then closed again
    flushA(report(first, CircuitState.CIRCUIT_STATE_HALF_OPEN, 0, 7, now + 1_000));
    assertThat(providerKeyStats(first).getString("health.circuit_state")).isEqualTo("half_open");
    flushA(report(first, CircuitState.CIRCUIT_STATE_CLOSED, 0, 0, now + 2_000));

    // Then A's newest report replaced its older ones
    JsonPath recovered = providerKeyStats(first);
    assertThat(recovered.getString("health.circuit_state")).isEqualTo("closed");
    assertThat(recovered.getInt("health.data_planes")).isEqualTo(2);
    assertThat(recovered.getInt("health.consecutive_failures")).isZero();
    assertThat(recovered.getString("health.cooldown_until")).isNull();
  }

  @Test
  void ignoresReportsOlderThanTheMaxAgeAndCooldownsThatEnded() throws Exception {
    // Given a report of an open circuit 10 minutes old and one of a cooldown that already ended
    long now = System.currentTimeMillis();
    flushA(report(first, CircuitState.CIRCUIT_STATE_OPEN, 0, 5, now - 600_000));
    flushB(report(first, CircuitState.CIRCUIT_STATE_CLOSED, now - 1_000, 0, now - 2_000));

    // When the key's health is read, Then only B's report counts, and it is not cooling down
    JsonPath stats = providerKeyStats(first);
    assertThat(stats.getString("health.circuit_state")).isEqualTo("closed");
    assertThat(stats.getInt("health.data_planes")).isEqualTo(1);
    assertThat(stats.getInt("health.consecutive_failures")).isZero();
    assertThat(stats.getString("health.cooldown_until")).isNull();
    assertThat(Instant.parse(stats.getString("health.reported_at")).toEpochMilli())
        .isEqualTo(now - 2_000);
  }

  @Test
  void deadLettersABadReportAndKeepsTheRestOfItsBatch() throws Exception {
    long now = System.currentTimeMillis();
    ProviderKeyHealthReport open = report(first, CircuitState.CIRCUIT_STATE_OPEN, 0, 3, now);
    for (Object[] bad :
        new Object[][] {
          {
            open.toBuilder().setCircuitState(CircuitState.CIRCUIT_STATE_UNSPECIFIED),
            "circuit_state",
            "invalid"
          },
          {open.toBuilder().setCircuitStateValue(9), "circuit_state", "invalid"},
          {open.toBuilder().setConsecutiveFailures(-1), "consecutive_failures", "invalid"},
          {open.toBuilder().setCooldownUntilUnixMs(-5), "cooldown_until_unix_ms", "invalid"},
          {open.toBuilder().setObservedAtUnixMs(0), "observed_at_unix_ms", "invalid"},
          {open.toBuilder().setProviderKeyId(0), "provider_key_id", "invalid"},
          {
            open.toBuilder().setProviderKeyId(Long.MAX_VALUE),
            "provider_key_id " + Long.MAX_VALUE,
            "unknown_provider_key"
          },
        }) {
      // Given a batch with a good report of the second key and a bad one
      FlushRequest batch =
          batchA()
              .addProviderKeyHealth(report(second, CircuitState.CIRCUIT_STATE_OPEN, 0, 1, now))
              .addProviderKeyHealth((ProviderKeyHealthReport.Builder) bad[0])
              .build();

      // When it is flushed
      FlushRepository.Outcome outcome = flushes.apply(batch);

      // Then the bad report is a dead letter naming the problem, and the good one is kept
      assertThat(outcome.deadLetters()).hasSize(1);
      assertThat(outcome.deadLetters().toString())
          .contains("PROVIDER_KEY_HEALTH", "provider_key_health[1]", (String) bad[1])
          .contains(((String) bad[2]).toUpperCase());
      assertThat(providerKeyStats(second).getString("health.circuit_state")).isEqualTo("open");
    }
    // and the first key has no report
    assertThat(providerKeyStats(first).getInt("health.data_planes")).isZero();

    // When a batch reports one key twice, Then the later report counts
    flushes.apply(
        batchA()
            .addProviderKeyHealth(open)
            .addProviderKeyHealth(
                report(first, CircuitState.CIRCUIT_STATE_HALF_OPEN, 0, 4, now + 1))
            .build());
    assertThat(providerKeyStats(first).getString("health.circuit_state")).isEqualTo("half_open");
  }

  @Test
  void answers404ForAGroupThatDoesNotExist() {
    asOperator()
        .get("/admin/v1/provider-groups/" + Long.MAX_VALUE + "/provider-key-health")
        .then()
        .statusCode(404)
        .body("detail", equalTo("provider group " + Long.MAX_VALUE + " does not exist"));
    asOperator()
        .get("/admin/v1/provider-groups/" + group + "/stats")
        .then()
        .statusCode(200)
        .body("health", nullValue());
  }

  private static ProviderKeyHealthReport report(
      long providerKey, CircuitState state, long cooldownUntil, int failures, long observedAt) {
    return ProviderKeyHealthReport.newBuilder()
        .setProviderKeyId(providerKey)
        .setCircuitState(state)
        .setCooldownUntilUnixMs(cooldownUntil)
        .setConsecutiveFailures(failures)
        .setObservedAtUnixMs(observedAt)
        .build();
  }

  private FlushRequest.Builder batchA() {
    return FlushRequest.newBuilder().setDpInstanceId(dpA).setSequence(++sequenceA);
  }

  private void flushA(ProviderKeyHealthReport report) throws Exception {
    flushes.apply(batchA().addProviderKeyHealth(report).build());
  }

  private void flushB(ProviderKeyHealthReport report) throws Exception {
    flushes.apply(
        FlushRequest.newBuilder()
            .setDpInstanceId(dpB)
            .setSequence(++sequenceB)
            .addProviderKeyHealth(report)
            .build());
  }

  private static JsonPath providerKeyStats(long id) {
    return asOperator()
        .get("/admin/v1/provider-keys/" + id + "/stats")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath();
  }

  private JsonPath groupHealth() {
    return asOperator()
        .get("/admin/v1/provider-groups/" + group + "/provider-key-health")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath();
  }
}
