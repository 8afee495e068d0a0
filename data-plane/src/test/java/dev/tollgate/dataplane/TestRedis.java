package dev.tollgate.dataplane;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The Redis the tests use, and ids no other run can be using.
 *
 * <p>{@code TOLLGATE_TEST_REDIS_URL} (environment) or {@code tollgate.test.redis-url} (system
 * property) picks the server and database, by default the local one's database 0. Every test names
 * its keys, users and groups with ids drawn at random from a range no real deployment reaches, so
 * concurrent runs (other checkouts, other helpers) never share a counter, and nothing is flushed.
 */
public final class TestRedis {

  public static final String URL =
      System.getProperty(
          "tollgate.test.redis-url",
          System.getenv().getOrDefault("TOLLGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"));

  private TestRedis() {}

  /** A fresh id for this run: ids start at 10^12 and are random. */
  public static long uniqueId() {
    return ThreadLocalRandom.current().nextLong(1_000_000_000_000L, 4_000_000_000_000_000L);
  }

  /** Runs redis-cli against the test database (for assertions only). */
  public static String cli(String... args) throws IOException, InterruptedException {
    return cliAt(URL, args);
  }

  /** Runs redis-cli against {@code url}. */
  public static String cliAt(String url, String... args) throws IOException, InterruptedException {
    String[] command = new String[args.length + 3];
    command[0] = "redis-cli";
    command[1] = "-u";
    command[2] = url;
    System.arraycopy(args, 0, command, 3, args.length);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    p.waitFor(10, TimeUnit.SECONDS);
    return out;
  }

  /**
   * A redis-server of the test's own on a free port, without persistence, for tests that stop
   * Redis: the shared one is never stopped.
   */
  public static final class Private implements AutoCloseable {
    public final int port;
    private final Path dir;
    private Process process;

    public Private() throws IOException {
      try (ServerSocket socket = new ServerSocket(0)) {
        port = socket.getLocalPort();
      }
      dir = Files.createTempDirectory("tollgate-redis");
    }

    public String url() {
      return "redis://127.0.0.1:" + port;
    }

    public Private start() throws Exception {
      process =
          new ProcessBuilder(
                  "redis-server",
                  "--port",
                  String.valueOf(port),
                  "--bind",
                  "127.0.0.1",
                  "--save",
                  "",
                  "--appendonly",
                  "no",
                  "--dir",
                  dir.toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("redis.log").toFile())
              .start();
      Eventually.within(
          Duration.ofSeconds(10),
          () -> {
            try {
              if (!"PONG".equals(cliAt(url(), "PING"))) {
                throw new AssertionError("private redis-server not answering yet");
              }
            } catch (IOException | InterruptedException e) {
              throw new AssertionError(e);
            }
          });
      return this;
    }

    /** SIGSTOP: connections stay open, nothing answers (a Redis that hangs). */
    public void pause() throws Exception {
      new ProcessBuilder("kill", "-STOP", String.valueOf(process.pid())).start().waitFor();
    }

    /** SIGCONT after {@link #pause}. */
    public void resume() throws Exception {
      new ProcessBuilder("kill", "-CONT", String.valueOf(process.pid())).start().waitFor();
    }

    /** kill -9: gone at once, connections reset. */
    public void kill() throws InterruptedException {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
      if (process != null && process.isAlive()) {
        kill();
      }
    }
  }
}
