package dev.tollgate.dataplane;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away Redis Cluster of three masters ({@code scripts/redis-cluster.sh}: Debian's
 * redis-server in cluster mode on free loopback ports, files in a temp dir), for one test class.
 * {@link #close} kills the servers and deletes the dir; a JVM that exits without closing it kills
 * them from a shutdown hook.
 */
public final class TestRedisCluster implements AutoCloseable {

  private static final long SCRIPT_TIMEOUT_SECONDS = 60;

  private final Path dir;
  private final List<Integer> ports;
  private final String url;
  private final Thread cleanup;

  private TestRedisCluster(Path dir, List<Integer> ports, String url) {
    this.dir = dir;
    this.ports = ports;
    this.url = url;
    this.cleanup = new Thread(() -> script("stop", dir.toString()));
    Runtime.getRuntime().addShutdownHook(cleanup);
  }

  /** Starts the cluster and returns once every node reports {@code cluster_state:ok}. */
  public static TestRedisCluster start() throws IOException {
    Path dir = Files.createTempDirectory("tollgate-redis-cluster-");
    List<Integer> ports = freePorts(3);
    List<String> args = new ArrayList<>(List.of("start", dir.toString()));
    ports.forEach(p -> args.add(Integer.toString(p)));
    String out = script(args.toArray(String[]::new));
    String url = out.lines().filter(l -> l.startsWith("redis://")).findFirst().orElseThrow();
    return new TestRedisCluster(dir, ports, url);
  }

  /** The seed nodes as {@code TOLLGATE_REDIS_URL} lists them: {@code redis://…,redis://…}. */
  public String url() {
    return url;
  }

  /** A URL naming one node only (a cluster client learns the others from it). */
  public String firstNode() {
    return "redis://127.0.0.1:" + ports.get(0);
  }

  /** Runs redis-cli in cluster mode (following MOVED) against the cluster, for assertions. */
  public String cli(String... args) throws IOException, InterruptedException {
    String[] command = new String[args.length + 4];
    command[0] = "redis-cli";
    command[1] = "-c";
    command[2] = "-p";
    command[3] = Integer.toString(ports.get(0));
    System.arraycopy(args, 0, command, 4, args.length);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    p.waitFor(10, TimeUnit.SECONDS);
    return out;
  }

  /** The port of the node serving {@code key}'s slot. */
  public int nodeOf(String key) throws IOException, InterruptedException {
    long slot = Long.parseLong(cli("CLUSTER", "KEYSLOT", key));
    for (String node : cli("CLUSTER", "NODES").lines().toList()) {
      // <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges>...
      String[] f = node.split(" ");
      for (int i = 8; i < f.length; i++) {
        String[] range = f[i].split("-");
        long from = Long.parseLong(range[0]);
        long to = range.length > 1 ? Long.parseLong(range[1]) : from;
        if (slot >= from && slot <= to) {
          return Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1, f[1].indexOf('@')));
        }
      }
    }
    throw new IllegalStateException("no node serves slot " + slot);
  }

  @Override
  public void close() {
    script("stop", dir.toString());
    Runtime.getRuntime().removeShutdownHook(cleanup);
  }

  /** Ports whose cluster-bus port (+10000) is free too. */
  private static List<Integer> freePorts(int n) throws IOException {
    List<Integer> ports = new ArrayList<>();
    while (ports.size() < n) {
      int port = ThreadLocalRandom.current().nextInt(20_000, 40_000);
      if (!ports.contains(port) && free(port) && free(port + 10_000)) {
        ports.add(port);
      }
    }
    return ports;
  }

  private static boolean free(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  private static String script(String... args) {
    Path script = repositoryRoot().resolve("scripts/redis-cluster.sh");
    List<String> command = new ArrayList<>(List.of(script.toString()));
    command.addAll(List.of(args));
    try {
      // To a file, not a pipe: the servers the script starts must not hold our end open.
      Path log = Files.createTempFile("tollgate-redis-cluster-", ".log");
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      boolean done = process.waitFor(SCRIPT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      String output = Files.readString(log, StandardCharsets.UTF_8);
      Files.delete(log);
      if (!done) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " timed out:\n" + output);
      }
      if (process.exitValue() != 0) {
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

  /** Tests run in data-plane/; the script is in the repository's scripts/. */
  private static Path repositoryRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("scripts/redis-cluster.sh"))) {
        return p;
      }
    }
    throw new IllegalStateException("scripts/redis-cluster.sh not found above " + Path.of(""));
  }
}
