package dev.tollgate.dataplane.e2e;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Starts the control plane and data planes as real processes from their packaged jars, each with
 * its own port and log file under {@code target/e2e/}, against the local PostgreSQL and Redis.
 */
final class GatewayProcesses implements AutoCloseable {

  /** A database the role may connect to, to create and drop the run's own. */
  private static final String MAINTENANCE_DB_URL =
      System.getenv()
          .getOrDefault("TOLLGATE_E2E_DB_URL", "jdbc:postgresql://127.0.0.1:5432/tollgate_e2e");

  private static final String DB_USER =
      System.getenv().getOrDefault("TOLLGATE_E2E_DB_USER", "tollgate");
  private static final String DB_PASSWORD =
      System.getenv().getOrDefault("TOLLGATE_E2E_DB_PASSWORD", "tollgate");

  // Each run gets its own database, so concurrent runs (two checkouts, a CI job) never share rows.
  private final String database = "tollgate_e2e_" + UUID.randomUUID().toString().substring(0, 8);
  private final String dbUrl =
      MAINTENANCE_DB_URL.replaceFirst("/[^/?]+(\\?|$)", "/" + database + "$1");

  final String adminToken = "e2e-admin-" + UUID.randomUUID();
  final String internalToken = "e2e-internal-" + UUID.randomUUID();
  final String encryptionKey;
  final int cpPort = freePort();
  private final Path logs = Path.of("target", "e2e");
  private final Path cpJar =
      Path.of("..", "control-plane", "target", "quarkus-app", "quarkus-run.jar");
  private final Path dpJar = Path.of("target", "quarkus-app", "quarkus-run.jar");
  private final List<Process> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private Process controlPlane;

  GatewayProcesses() throws IOException {
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    encryptionKey = Base64.getEncoder().encodeToString(key);
    Files.createDirectories(logs);
    for (Path jar : List.of(cpJar, dpJar)) {
      if (!Files.isRegularFile(jar)) {
        throw new IllegalStateException(jar.toAbsolutePath() + " is missing: run ./mvnw verify");
      }
    }
  }

  void createDatabase() throws SQLException {
    maintenance("CREATE DATABASE " + database);
  }

  private void dropDatabase() {
    try {
      maintenance("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    } catch (SQLException e) {
      System.err.println("could not drop " + database + ": " + e.getMessage());
    }
  }

  /** Runs SQL on the run's own database: seeds rows faster than the admin API could. */
  void execute(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(dbUrl, DB_USER, DB_PASSWORD);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** A single number from the run's own database. */
  long queryLong(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(dbUrl, DB_USER, DB_PASSWORD);
        Statement s = c.createStatement();
        java.sql.ResultSet rows = s.executeQuery(sql)) {
      if (!rows.next()) {
        throw new IllegalStateException("no row for " + sql);
      }
      return rows.getLong(1);
    }
  }

  private static void maintenance(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(MAINTENANCE_DB_URL, DB_USER, DB_PASSWORD);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  void startControlPlane() throws Exception {
    startControlPlane(Map.of());
  }

  /** A control plane with more environment (e.g. TLS between the planes). */
  void startControlPlane(Map<String, String> moreEnv) throws Exception {
    Map<String, String> env = new java.util.HashMap<>(moreEnv);
    env.putAll(
        Map.of(
            "QUARKUS_HTTP_PORT", String.valueOf(cpPort),
            "TOLLGATE_DB_URL", dbUrl,
            "TOLLGATE_DB_USER", DB_USER,
            "TOLLGATE_DB_PASSWORD", DB_PASSWORD,
            "TOLLGATE_ADMIN_TOKEN", adminToken,
            "TOLLGATE_ENCRYPTION_KEY", encryptionKey,
            "TOLLGATE_INTERNAL_TOKEN", internalToken));
    controlPlane = start("control-plane", cpJar, env);
    awaitReady(cpPort, Duration.ofSeconds(60));
  }

  /** SIGTERM, and waits for the process to exit. */
  void stopControlPlane() throws InterruptedException {
    stop(controlPlane);
  }

  Process startDataPlane(int port, Duration flushInterval) throws Exception {
    return startDataPlane(port, flushInterval, Map.of());
  }

  /** A data plane with more environment (e.g. its Redis). */
  Process startDataPlane(int port, Duration flushInterval, Map<String, String> moreEnv)
      throws Exception {
    Process dp = launchDataPlane(port, flushInterval, moreEnv);
    awaitReady(port, Duration.ofSeconds(60));
    return dp;
  }

  /** Starts a data plane without waiting for it to be ready (it may have no CP to load from). */
  Process launchDataPlane(int port, Duration flushInterval, Map<String, String> moreEnv)
      throws Exception {
    Map<String, String> env = new java.util.HashMap<>(moreEnv);
    env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
    // moreEnv may name another gRPC endpoint (the TLS port).
    env.putIfAbsent("TOLLGATE_CONTROL_PLANE", "127.0.0.1:" + cpPort);
    env.put("TOLLGATE_INTERNAL_TOKEN", internalToken);
    env.put("TOLLGATE_FLUSH_INTERVAL", flushInterval.toMillis() + "ms");
    return start("data-plane-" + port, dpJar, env);
  }

  /** What the data plane on {@code port} has logged so far. */
  String dataPlaneLog(int port) throws IOException {
    return Files.readString(logs.resolve("data-plane-" + port + ".log"));
  }

  /** Calls the control plane's admin API; fails the test on any other status than expected. */
  String admin(String method, String path, String body, int expectedStatus) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cpPort + path))
            .header("Authorization", "Bearer " + adminToken)
            .timeout(Duration.ofSeconds(10))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    HttpResponse<String> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != expectedStatus) {
      throw new AssertionError(
          method + " " + path + " answered " + response.statusCode() + ": " + response.body());
    }
    return response.body();
  }

  /** SIGTERM (what Kubernetes sends), then waits until the process has exited. */
  static int stop(Process process) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      throw new IllegalStateException("process " + process.pid() + " ignored SIGTERM for 60 s");
    }
    return process.exitValue();
  }

  private Process start(String name, Path jar, Map<String, String> env) throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder("java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", jar.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logs.resolve(name + ".log").toFile()));
    builder.environment().putAll(env);
    Process process = builder.start();
    started.add(process);
    return process;
  }

  private void awaitReady(int port, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    HttpRequest ready =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready"))
            .timeout(Duration.ofSeconds(2))
            .build();
    while (System.nanoTime() < deadline) {
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(
        "nothing ready on port " + port + " after " + timeout + "; see " + logs.toAbsolutePath());
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    for (Process process : started) {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }
    for (Process process : started) {
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    dropDatabase();
  }
}
