package dev.tollgate.dataplane.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tollgate.dataplane.DataPlaneConfig;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RedisTopologyTest {

  private static DataPlaneConfig.Redis settings(String url, boolean cluster) {
    return new RateLimiterCases.Settings(
        url,
        DataPlaneConfig.FailMode.OPEN,
        Duration.ofMillis(50),
        Duration.ofSeconds(30),
        Duration.ofSeconds(1),
        256,
        cluster);
  }

  @Test
  void oneUrlWithoutTheFlagIsOneServerWithItsDatabase() {
    DataPlaneConfig.Redis single = settings("redis://127.0.0.1:6379/6", false);
    assertThat(RedisTopology.clustered(single)).isFalse();
    assertThat(RedisKeys.of(single)).isSameAs(RedisKeys.SINGLE);
    assertThat(RedisTopology.options(single).getType()).isEqualTo(RedisClientType.STANDALONE);
  }

  @Test
  void aListOfNodesOrTheFlagIsACluster() {
    DataPlaneConfig.Redis listed = settings("redis://h1:7000, redis://h2:7001", false);
    assertThat(RedisTopology.clustered(listed)).isTrue();
    assertThat(RedisKeys.of(listed)).isSameAs(RedisKeys.CLUSTER);
    RedisOptions options = RedisTopology.options(listed);
    assertThat(options.getType()).isEqualTo(RedisClientType.CLUSTER);
    assertThat(options.getEndpoints()).containsExactly("redis://h1:7000", "redis://h2:7001");

    DataPlaneConfig.Redis flagged = settings("redis://h1:7000", true);
    assertThat(RedisTopology.clustered(flagged)).isTrue();
    assertThat(RedisTopology.options(flagged).getEndpoints()).containsExactly("redis://h1:7000");
  }

  @Test
  void aClusterNodeSelectingADatabaseIsRefusedNamingItWithoutItsPassword() {
    assertThatThrownBy(() -> RedisTopology.options(settings("redis://:s3cret@h1:7000/6", true)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("redis://h1:7000/6")
        .hasMessageContaining("database 0")
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void aClusterNodeThatIsNotARedisUrlIsRefused() {
    assertThatThrownBy(() -> RedisTopology.options(settings("redis://h1:7000,h2", false)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("`h2`");
  }
}
