package dev.tollgate.controlplane.ratelimit;

import dev.tollgate.controlplane.ControlPlaneConfig;
import dev.tollgate.controlplane.admin.ProblemException;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;
import org.jboss.logging.Logger;

/**
 * Reads RPM counters from Redis: {@code TIME} for the current minute (Redis' clock, the one the
 * data planes count by), then one {@code MGET} of every counter asked for (on a Redis Cluster, one
 * {@code GET} each). Read-only: nothing is counted.
 */
@ApplicationScoped
public class RpmCounterClient {

  private static final Logger LOG = Logger.getLogger(RpmCounterClient.class);

  /** Redis time in seconds and the counters' values in the order asked (0 where absent). */
  record Reading(long redisSeconds, List<Long> values) {

    long minute() {
      return Math.floorDiv(redisSeconds, 60);
    }

    int resetsInSeconds() {
      return (int) (60 - Math.floorMod(redisSeconds, 60));
    }
  }

  private final ReactiveRedisDataSource redis;
  private final Duration timeout;
  private final boolean cluster;

  RpmCounterClient(
      ReactiveRedisDataSource redis, ControlPlaneConfig config, RedisTopology topology) {
    this.redis = redis;
    this.timeout = config.rpmStatus().redisTimeout();
    this.cluster = topology.cluster();
  }

  /** Reads the counters whose keys {@code keysOfMinute} builds for the current Redis minute. */
  Reading read(LongFunction<List<String>> keysOfMinute) {
    try {
      return redis
          .execute("TIME")
          .chain(
              time -> {
                long seconds = Long.parseLong(time.get(0).toString());
                List<String> keys = keysOfMinute.apply(Math.floorDiv(seconds, 60));
                return values(keys).map(values -> new Reading(seconds, values));
              })
          .await()
          .atMost(timeout);
    } catch (RuntimeException e) {
      LOG.warnf("rpm-status: Redis is unreachable (%s)", e.toString());
      throw new ProblemException(
          503,
          "Service Unavailable",
          "Redis, where the data planes count requests per minute, is unreachable: rpm-status"
              + " cannot read this minute's use; retry shortly",
          null);
    }
  }

  /**
   * The counters' values in the order of {@code keys}: one MGET on a single server; on a cluster
   * one GET per counter, in parallel, because the cluster client's MGET across slots answers in
   * slot order, not in the order asked.
   */
  private Uni<List<Long>> values(List<String> keys) {
    if (!cluster) {
      return redis
          .execute("MGET", keys.toArray(String[]::new))
          .map(values -> longs(values, keys.size()));
    }
    List<Uni<Long>> reads = new ArrayList<>(keys.size());
    for (String key : keys) {
      reads.add(
          redis
              .execute("GET", key)
              .map(value -> value == null ? 0L : Long.parseLong(value.toString())));
    }
    return Uni.join().all(reads).andFailFast();
  }

  private static List<Long> longs(Response values, int expected) {
    List<Long> result = new ArrayList<>(expected);
    for (int i = 0; i < expected; i++) {
      Response value = values == null ? null : values.get(i);
      result.add(value == null ? 0L : Long.parseLong(value.toString()));
    }
    return result;
  }
}
