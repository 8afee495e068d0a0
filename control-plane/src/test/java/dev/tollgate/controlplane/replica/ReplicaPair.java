package dev.tollgate.controlplane.replica;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away PostgreSQL primary and a hot standby streaming from it ({@code
 * scripts/pg-replica-pair.sh}) on free loopback ports, for one test class: the control plane gets
 * the primary as its database and the standby as TOLLGATE_DB_READ_URL, set the way an operator sets
 * them. Both are stopped and deleted after the class.
 */
public class ReplicaPair implements QuarkusTestResourceLifecycleManager {

  private static final long SCRIPT_TIMEOUT_SECONDS = 180;

  private static Path dir;
  private static int primaryPort;
  private static int replicaPort;

  @Override
  public Map<String, String> start() {
    try {
      // The servers run as the postgres OS user: it must be able to reach and own the directory.
      dir = Files.createTempDirectory(Path.of("/tmp"), "tollgate-replica-pair-");
      Files.delete(dir);
      primaryPort = freePort();
      replicaPort = freePort();
      script("start", dir.toString(), Integer.toString(primaryPort), Integer.toString(replicaPort));
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the PostgreSQL primary and replica", e);
    }
    return Map.of(
        // The test profile's database URL variable, then the replica's, as in production.
        "TOLLGATE_TEST_DB_URL", url(primaryPort), "TOLLGATE_DB_READ_URL", url(replicaPort));
  }

  @Override
  public void stop() {
    if (dir != null) {
      script("stop", dir.toString());
    }
  }

  /** Stops the primary or the replica (fast shutdown: their connections are cut). */
  static void stop(String server) {
    script("stop-server", dir.toString(), server);
  }

  /** Starts it again and returns once the replica streams. */
  static void start(String server) {
    script("start-server", dir.toString(), server);
  }

  /** A superuser connection to the replica (trusted on loopback), to pause and resume replay. */
  static Connection replicaSuperuser() throws SQLException {
    return DriverManager.getConnection(url(replicaPort), "postgres", "");
  }

  private static String url(int port) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/tollgate";
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static void script(String... args) {
    Path script = repositoryRoot().resolve("scripts/pg-replica-pair.sh");
    var command = new java.util.ArrayList<>(List.of(script.toString()));
    command.addAll(List.of(args));
    try {
      // To a file, not a pipe: the servers the script starts must not hold our end open.
      Path log = Files.createTempFile("tollgate-replica-pair-", ".log");
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
      if (Files.isRegularFile(p.resolve("scripts/pg-replica-pair.sh"))) {
        return p;
      }
    }
    throw new IllegalStateException("scripts/pg-replica-pair.sh not found above " + Path.of(""));
  }
}
