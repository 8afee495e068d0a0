package dev.tollgate.controlplane.ratelimit;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.controlplane.admin.AdminApi;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * rpm-status on a Redis Cluster of three masters ({@link RedisCluster}), configured only by listing
 * its nodes: the counters the data planes write under their hash-tagged names, spread over several
 * slots and nodes, are read in one request.
 */
@QuarkusTest
@TestProfile(RpmStatusOnRedisClusterTest.OnCluster.class)
class RpmStatusOnRedisClusterTest {

  public static class OnCluster implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(RedisCluster.class));
    }
  }

  @Inject RedisDataSource redis;

  @Test
  void keyStatusReadsTheHashTaggedCountersFromEveryNode() {
    // Given a key of a user bound to three groups, and this minute's counters as a data plane
    // on the cluster writes them (the key owner's in the user's slot, each group in its own)
    long user = AdminApi.createUser();
    List<Long> groups =
        List.of(AdminApi.createGroup(), AdminApi.createGroup(), AdminApi.createGroup());
    long key = AdminApi.createKey(user, groups).getLong("id");
    Map<String, Long> counters =
        Map.of(
            "tg:{u" + user + "}:rpm:key:" + key, 3L,
            "tg:{u" + user + "}:rpm:user:" + user, 7L,
            "tg:{g" + groups.get(0) + "}:rpm:group:" + groups.get(0), 11L,
            "tg:{g" + groups.get(1) + "}:rpm:group:" + groups.get(1), 13L,
            "tg:{g" + groups.get(2) + "}:rpm:group:" + groups.get(2), 17L);
    Set<String> slots = new HashSet<>();
    long minute = Long.parseLong(redis.execute("TIME").get(0).toString()) / 60;
    for (var c : counters.entrySet()) {
      slots.add(redis.execute("CLUSTER", "KEYSLOT", c.getKey()).toString());
      for (long m = minute; m <= minute + 1; m++) {
        redis.execute("SET", c.getKey() + ":" + m, c.getValue().toString(), "EX", "180");
      }
    }
    assertThat(slots).hasSize(4);

    // When
    JsonPath status =
        asOperator()
            .get("/admin/v1/keys/" + key + "/rpm-status")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();

    // Then every scope shows its own counter
    assertThat(status.getList("scopes.scope"))
        .containsExactly("key", "user", "group", "group", "group");
    assertThat(status.getList("scopes.used", Long.class)).containsExactly(3L, 7L, 11L, 13L, 17L);
    assertThat(status.getList("scopes.id", Long.class))
        .containsExactly(key, user, groups.get(0), groups.get(1), groups.get(2));
  }
}
