package dev.tollgate.dataplane.ratelimit;

import dev.tollgate.dataplane.DataPlaneConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The data plane's {@link RateLimiter}: {@link RedisRateLimiter} (batched, one atomic script per
 * call) on one Redis server, the default; {@link RedisClusterRateLimiter} on a Redis Cluster
 * ({@code tollgate.redis.cluster}, or a URL listing several nodes; see {@link RedisTopology}).
 */
@ApplicationScoped
public class RateLimiterProducer {

  @Produces
  @Singleton
  RateLimiter rateLimiter(Vertx vertx, DataPlaneConfig config, MeterRegistry registry) {
    return RedisTopology.clustered(config.redis())
        ? new RedisClusterRateLimiter(vertx, config.redis(), registry)
        : new RedisRateLimiter(vertx, config.redis(), registry);
  }

  void close(@Disposes RateLimiter limiter) {
    limiter.close();
  }

  /**
   * Opens the single server's per-loop connections at start, so that the first requests do not pay
   * for them (the cluster client opens its pooled connections on first use).
   */
  void connectEarly(@Observes StartupEvent event, RateLimiter limiter) {
    if (limiter instanceof RedisRateLimiter single) {
      single.connectEarly();
    }
  }
}
