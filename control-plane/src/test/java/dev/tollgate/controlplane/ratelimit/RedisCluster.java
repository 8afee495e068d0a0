package dev.tollgate.controlplane.ratelimit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away Redis Cluster of three masters ({@code scripts/redis-cluster.sh}) on free loopback
 * ports, for one test class: the control plane gets its nodes as TOLLGATE_REDIS_URL lists them
 * ({@code redis://…,redis://…}), nothing else set. Stopped and deleted after the class.
 */
public class RedisCluster implements QuarkusTestResourceLifecycleManager {

  private static Path dir;

  @Override
  public Map<String, String> start() {
    try {
      dir = Files.createTempDirectory("tollgate-redis-cluster-");
      List<String> args = new ArrayList<>(List.of("start", dir.toString()));
      while (args.size() < 5) {
        int port = ThreadLocalRandom.current().nextInt(20_000, 40_000);
        // The cluster bus listens on port + 10000.
        if (!args.contains(Integer.toString(port)) && free(port) && free(port + 10_000)) {
          args.add(Integer.toString(port));
        }
      }
      String out = script(args);
      String url = out.lines().filter(l -> l.startsWith("redis://")).findFirst().orElseThrow();
      return Map.of("quarkus.redis.hosts", url);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the Redis Cluster", e);
    }
  }

  @Override
  public void stop() {
    if (dir != null) {
      script(List.of("stop", dir.toString()));
    }
  }

  private static boolean free(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  private static String script(List<String> args) {
    Path script = repositoryRoot().resolve("scripts/redis-cluster.sh");
    List<String> command = new ArrayList<>(List.of(script.toString()));
    command.addAll(args);
    try {
      // To a file, not a pipe: the servers the script starts must not hold our end open.
      Path log = Files.createTempFile("tollgate-redis-cluster-", ".log");
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      boolean done = process.waitFor(60, TimeUnit.SECONDS);
      String output = Files.readString(log, StandardCharsets.UTF_8);
      Files.delete(log);
      if (!done || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
      }
      return output;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + script, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + script, e);
    }
  }

  /** Tests run in control-plane/; the script is in the repository's scripts/. */
  private static Path repositoryRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("scripts/redis-cluster.sh"))) {
        return p;
      }
    }
    throw new IllegalStateException("scripts/redis-cluster.sh not found above " + Path.of(""));
  }
}
