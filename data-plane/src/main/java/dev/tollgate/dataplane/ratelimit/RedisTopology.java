package dev.tollgate.dataplane.ratelimit;

import dev.tollgate.dataplane.DataPlaneConfig;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * One Redis server or a Redis Cluster, as {@code tollgate.redis.url} and {@code
 * tollgate.redis.cluster} say: the client options for either, so that every Redis client of the
 * data plane (the rate limiter, the shared adaptive state) reaches the same deployment the same
 * way.
 */
public final class RedisTopology {

  private RedisTopology() {}

  /** Whether the settings name a Redis Cluster: the flag, or more than one node in the URL. */
  public static boolean clustered(DataPlaneConfig.Redis settings) {
    return settings.cluster() || nodes(settings.url()).size() > 1;
  }

  /**
   * Client options for the settings' Redis: a standalone client on its URL, or a cluster client
   * seeded with every listed node (slots are learned from them and followed on MOVED/ASK).
   *
   * @throws IllegalArgumentException naming the problem when a cluster URL is malformed or selects
   *     a database (a Redis Cluster has only database 0)
   */
  public static RedisOptions options(DataPlaneConfig.Redis settings) {
    RedisOptions options = new RedisOptions();
    if (!clustered(settings)) {
      return options.setConnectionString(settings.url());
    }
    options.setType(RedisClientType.CLUSTER);
    for (String node : nodes(settings.url())) {
      options.addConnectionString(checkedNode(node));
    }
    return options;
  }

  private static List<String> nodes(String url) {
    List<String> nodes = new ArrayList<>();
    for (String part : url.split(",")) {
      if (!part.isBlank()) {
        nodes.add(part.strip());
      }
    }
    return nodes;
  }

  private static String checkedNode(String node) {
    URI uri;
    try {
      uri = URI.create(node);
    } catch (IllegalArgumentException notUri) {
      throw new IllegalArgumentException(
          "tollgate.redis.url: `" + shown(node) + "` is not a redis:// URL of a cluster node");
    }
    if (uri.getHost() == null
        || uri.getPort() < 0
        || !("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme()))) {
      throw new IllegalArgumentException(
          "tollgate.redis.url: cluster node `"
              + shown(node)
              + "` must be redis://host:port or rediss://host:port");
    }
    String path = uri.getPath();
    if (path != null && !path.isEmpty() && !"/".equals(path) && !"/0".equals(path)) {
      throw new IllegalArgumentException(
          "tollgate.redis.url: cluster node `"
              + shown(node)
              + "` selects a database; a Redis Cluster has only database 0");
    }
    return node;
  }

  /** The node without its credentials, for an error message. */
  private static String shown(String node) {
    return node.replaceFirst("//[^@/]*@", "//");
  }
}
