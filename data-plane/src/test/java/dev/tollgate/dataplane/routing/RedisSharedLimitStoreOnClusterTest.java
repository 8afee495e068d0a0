package dev.tollgate.dataplane.routing;

import dev.tollgate.dataplane.TestRedisCluster;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The learned-concurrency scripts of {@link RedisSharedLimitStoreTest}, every case, on a Redis
 * Cluster of three masters started for this class: each script touches its one hash, so the learned
 * state is shared exactly as on one server.
 */
class RedisSharedLimitStoreOnClusterTest extends RedisSharedLimitStoreTest {

  private static TestRedisCluster cluster;

  // Runs after the superclass' @BeforeAll: its one-server client is replaced by a cluster client.
  @BeforeAll
  static void startCluster() {
    try {
      cluster = TestRedisCluster.start();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot start the Redis Cluster", e);
    }
    redis.close();
    redis =
        Redis.createClient(
            vertx,
            new RedisOptions()
                .setType(RedisClientType.CLUSTER)
                .setConnectionString(cluster.firstNode()));
  }

  // Runs before the superclass' @AfterAll, which closes the client and Vert.x.
  @AfterAll
  static void stopCluster() {
    cluster.close();
  }
}
