package dev.tollgate.controlplane.ratelimit;

import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * One Redis server or a Redis Cluster: the Redis client's type ({@code quarkus.redis.client-type},
 * which {@link RedisClientTypeInterceptor} derives from {@code TOLLGATE_REDIS_CLUSTER} and {@code
 * TOLLGATE_REDIS_URL} by the data plane's rule) decides under which names the counters are read.
 */
@Singleton
public class RedisTopology {

  private final boolean cluster;

  RedisTopology(
      @ConfigProperty(name = "quarkus.redis.client-type", defaultValue = "standalone")
          String clientType) {
    this.cluster = "cluster".equalsIgnoreCase(clientType);
  }

  /** Whether the Redis is a Redis Cluster. */
  boolean cluster() {
    return cluster;
  }

  /** The names of the data planes' counters on this topology. */
  RpmCounterKeys counterKeys() {
    return cluster ? RpmCounterKeys.CLUSTER : RpmCounterKeys.SINGLE;
  }
}
