package dev.tollgate.controlplane.replica;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.controlplane.admin.AdminApi;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The control plane on a real primary and a real hot standby streaming from it (made by {@link
 * ReplicaPair} for this class): writes and by-id reads on the primary, lists, stats and the audit
 * log on the standby, and the primary again while the standby lags or is down.
 */
@QuarkusTest
@TestProfile(ReadReplicaTest.WithReplica.class)
class ReadReplicaTest {

  /** The lag the documentation states an operator may see, with a wide margin for this machine. */
  private static final Duration STATED_LAG = Duration.ofSeconds(1);

  /**
   * Long enough for a few admin calls on a busy machine to finish while replay is paused and the
   * replica still serves; short enough to wait for its fallback.
   */
  private static final Duration MAX_LAG = Duration.ofSeconds(15);

  public static class WithReplica implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "tollgate.db-read.max-lag",
          MAX_LAG.toSeconds() + "s",
          "tollgate.db-read.lag-interval",
          "100ms");
    }

    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(ReplicaPair.class));
    }
  }

  @Inject ReadConnections reads;
  @Inject AgroalDataSource primary;

  @BeforeEach
  void replicaServes() {
    awaitReadiness("replica", "streaming");
  }

  @Test
  void readConnectionsAreOnTheStandbyWhileTheDefaultPoolIsThePrimary() throws SQLException {
    // Given the replica streaming (before each)
    // When / Then
    try (Connection read = reads.connection();
        Connection write = primary.getConnection()) {
      assertThat(inRecovery(read)).as("the read connection is a standby").isTrue();
      assertThat(inRecovery(write)).as("the default pool is the primary").isFalse();
    }
  }

  @Test
  void listsStatsAndAuditReadTheReplicaAndFallBackWhenItLagsBeyondTheMaximum() throws SQLException {
    // Given a user and a group, and then a replica that stops replaying
    long owner = AdminApi.createUser();
    long group = AdminApi.createGroup();
    awaitVisibleOnReplica(owner);
    long keysBefore = keyTotal();
    String name = AdminApi.unique("replica-user");
    long user;
    try (Connection superuser = ReplicaPair.replicaSuperuser()) {
      execute(superuser, "SELECT pg_wal_replay_pause()");
      try {
        // When an operator creates a user and a key (on the primary)
        user = AdminApi.createUser(name);
        long key = AdminApi.createKey(owner, List.of(group)).getLong("id");

        // Then reading them back by id sees them at once: by-id reads are on the primary
        asOperator().get("/admin/v1/users/" + user).then().statusCode(200);
        asOperator().get("/admin/v1/keys/" + key).then().statusCode(200);
        // and the list, the key stats and the audit log, read on the paused replica, do not yet
        assertThat(usersNamed(name)).isZero();
        assertThat(keyTotal()).isEqualTo(keysBefore);
        assertThat(auditEntries(user)).isZero();
        assertThat(readiness().get("reads"))
            .as("still within the maximum lag after those reads (else this machine is too slow)")
            .isEqualTo("replica");

        // When the replica falls more than the maximum lag behind
        awaitReadiness("primary", "lagging");

        // Then the same reads are answered by the primary, with everything
        assertThat(usersNamed(name)).isEqualTo(1);
        assertThat(keyTotal()).isEqualTo(keysBefore + 1);
        assertThat(auditEntries(user)).isEqualTo(1);
      } finally {
        execute(superuser, "SELECT pg_wal_replay_resume()");
      }
    }

    // When replay resumes, the reads go back to the replica, which has caught up
    awaitReadiness("replica", "streaming");
    assertThat(usersNamed(name)).isEqualTo(1);
    assertThat(keyTotal()).isEqualTo(keysBefore + 1);
  }

  @Test
  void readsFallBackToThePrimaryWhileTheReplicaIsDownAndReturnWhenItIsBack() {
    // Given the replica stopped
    ReplicaPair.stop("replica");
    String name = AdminApi.unique("while-down");
    try {
      // When the control plane notices
      awaitReadiness("primary", "unreachable");

      // Then lists still answer, from the primary, and the control plane stays ready
      AdminApi.createUser(name);
      assertThat(usersNamed(name)).isEqualTo(1);
      given().get("/q/health/ready").then().statusCode(200);
      assertThat(metric("tollgate_db_read_replica_serving")).isEqualTo(0);
    } finally {
      ReplicaPair.start("replica");
    }

    // When it is back, reads return to it, with what was written meanwhile
    awaitReadiness("replica", "streaming");
    assertThat(usersNamed(name)).isEqualTo(1);
    assertThat(metric("tollgate_db_read_replica_serving")).isEqualTo(1);
  }

  @Test
  void listsKeepReadingTheReplicaWhileThePrimaryIsDown() {
    // Given a user the replica has, and then the primary stopped
    String name = AdminApi.unique("before-primary-down");
    AdminApi.createUser(name);
    await(Duration.ofSeconds(30), () -> usersNamed(name) == 1);
    ReplicaPair.stop("primary");
    try {
      // When the control plane notices
      awaitReadiness("replica", "primary_unreachable");

      // Then the list still answers, from the replica
      assertThat(usersNamed(name)).isEqualTo(1);
    } finally {
      ReplicaPair.start("primary");
      // The pool's idle connections died with the primary: the next tests must not meet them.
      primary.flush(AgroalDataSource.FlushMode.ALL);
    }
    awaitReadiness("replica", "streaming");
  }

  @Test
  void aWriteIsVisibleOnTheReplicaWithinTheStatedLagWhichIsExported() {
    // Given a user created on the primary
    String name = AdminApi.unique("lag");
    AdminApi.createUser(name);
    long created = System.nanoTime();

    // When the replica's list is read until it shows the user
    await(Duration.ofSeconds(30), () -> usersNamed(name) == 1);
    Duration visibleAfter = Duration.ofNanos(System.nanoTime() - created);

    // Then that took less than the stated lag, and the measured replay lag says the same
    assertThat(visibleAfter).isLessThan(STATED_LAG);
    assertThat(metric("tollgate_db_read_replay_lag_seconds"))
        .isBetween(0.0, STATED_LAG.toMillis() / 1000.0);
    assertThat(readiness().get("replay_lag_ms"))
        .isInstanceOf(Number.class)
        .satisfies(ms -> assertThat(((Number) ms).longValue()).isLessThan(STATED_LAG.toMillis()));
    assertThat(readiness().get("max_lag_ms")).isEqualTo((int) MAX_LAG.toMillis());
  }

  /** Waits until the users list, read on the replica, has a user created on the primary. */
  private static void awaitVisibleOnReplica(long user) {
    String name =
        asOperator().get("/admin/v1/users/" + user).then().extract().jsonPath().getString("name");
    await(Duration.ofSeconds(30), () -> usersNamed(name) == 1);
  }

  private static int usersNamed(String name) {
    return asOperator()
        .queryParam("search", name)
        .get("/admin/v1/users")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getInt("total");
  }

  private static long keyTotal() {
    return asOperator()
        .get("/admin/v1/keys/stats")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getLong("total");
  }

  private static int auditEntries(long user) {
    return asOperator()
        .get("/admin/v1/audit-log?entity_type=user&entity_id=" + user)
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getList("items")
        .size();
  }

  private static Map<String, Object> readiness() {
    return given()
        .get("/q/health/ready")
        .then()
        .extract()
        .jsonPath()
        .getMap("checks.find { it.name == 'Read replica' }.data");
  }

  private static void awaitReadiness(String reads, String replica) {
    await(
        Duration.ofSeconds(60),
        () -> {
          Map<String, Object> data = readiness();
          return reads.equals(data.get("reads")) && replica.equals(data.get("replica"));
        });
  }

  private static double metric(String name) {
    String body = given().get("/q/metrics").then().statusCode(200).extract().asString();
    Matcher value = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*})? (\\S+)$").matcher(body);
    assertThat(value.find()).as(name + " in /q/metrics").isTrue();
    return Double.parseDouble(value.group(1));
  }

  private static void await(Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition met within " + timeout).isLessThan(deadline);
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private static boolean inRecovery(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("SELECT pg_is_in_recovery()")) {
      row.next();
      return row.getBoolean(1);
    }
  }

  private static void execute(Connection connection, String sql) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute(sql);
    }
  }
}
