package dev.tollgate.controlplane.ratelimit;

import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;

/**
 * Puts the Redis client in cluster mode ({@code quarkus.redis.client-type=cluster}) when the
 * operator says the Redis is a cluster the way the data plane takes it: {@code
 * TOLLGATE_REDIS_CLUSTER=true}, or {@code TOLLGATE_REDIS_URL} listing more than one node. Without
 * it Quarkus refuses a list of hosts outright, and the two planes would need two different settings
 * for one fact. An explicit {@code quarkus.redis.client-type} wins.
 */
public class RedisClientTypeInterceptor implements ConfigSourceInterceptor {

  private static final String CLIENT_TYPE = "quarkus.redis.client-type";

  @Override
  public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
    ConfigValue value = context.proceed(name);
    if (!CLIENT_TYPE.equals(name) || (value != null && !isDefault(value))) {
      return value;
    }
    ConfigValue flag = context.proceed("tollgate.redis.cluster");
    boolean cluster =
        flag != null && "true".equalsIgnoreCase(String.valueOf(flag.getValue()).strip());
    cluster |= listsSeveral(context.proceed("quarkus.redis.hosts"));
    cluster |= listsSeveral(context.proceed("TOLLGATE_REDIS_URL"));
    if (!cluster) {
      return value;
    }
    return ConfigValue.builder()
        .withName(CLIENT_TYPE)
        .withValue("cluster")
        .withConfigSourceName("TOLLGATE_REDIS_CLUSTER / TOLLGATE_REDIS_URL")
        .build();
  }

  /** The extension's own default (standalone), which an operator's cluster setting overrides. */
  private static boolean isDefault(ConfigValue value) {
    return value.getConfigSourceOrdinal() == Integer.MIN_VALUE;
  }

  private static boolean listsSeveral(ConfigValue hosts) {
    return hosts != null && hosts.getValue() != null && hosts.getValue().contains(",");
  }
}
