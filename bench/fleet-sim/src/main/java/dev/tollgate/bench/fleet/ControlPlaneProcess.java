package dev.tollgate.bench.fleet;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The control plane under test, started from its jar as a process of its own on the simulator's
 * database, gRPC in plaintext on its HTTP port (loopback), and stopped with SIGTERM when the runs
 * of a mode are done. {@code baseline} sets {@code TOLLGATE_FLUSH_COALESCE=false}: one batch, one
 * transaction.
 */
final class ControlPlaneProcess implements AutoCloseable {

  // The bench's own throw-away values; the database holds no provider secret.
  private static final String ENCRYPTION_KEY = "VG9sbGdhdGUgYmVuY2htYXJrIGtleTogbm90IHByb2Q=";

  private final Process process;

  private ControlPlaneProcess(Process process) {
    this.process = process;
  }

  static ControlPlaneProcess start(
      Path jar, int port, String dbUrl, String mode, Path logDir, List<String> extraEnv)
      throws IOException, InterruptedException {
    Files.createDirectories(logDir);
    Path log = logDir.resolve("control-plane-" + mode + ".log");
    ProcessBuilder builder =
        new ProcessBuilder("java", "-jar", jar.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
    env.put("TOLLGATE_DB_URL", dbUrl);
    env.put("TOLLGATE_DB_USER", "tollgate");
    env.put("TOLLGATE_DB_PASSWORD", "tollgate");
    env.put("TOLLGATE_ADMIN_TOKEN", "fleet-sim-admin-token");
    env.put("TOLLGATE_INTERNAL_TOKEN", "fleet-sim-internal-token");
    env.put("TOLLGATE_ENCRYPTION_KEY", ENCRYPTION_KEY);
    env.putIfAbsent("TOLLGATE_REDIS_URL", "redis://127.0.0.1:6379/8");
    // Above the simulator's default batch budget (1 MiB); Vert.x' own default is 256 KiB.
    env.putIfAbsent("QUARKUS_GRPC_SERVER_MAX_INBOUND_MESSAGE_SIZE", Integer.toString(4 << 20));
    env.put("TOLLGATE_FLUSH_COALESCE", Boolean.toString(mode.equals("coalesced")));
    for (String pair : extraEnv) {
      int eq = pair.indexOf('=');
      if (eq < 1) {
        throw new IllegalArgumentException("--cp-env takes NAME=VALUE, not " + pair);
      }
      env.put(pair.substring(0, eq), pair.substring(eq + 1));
    }
    ControlPlaneProcess cp = new ControlPlaneProcess(builder.start());
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest ready =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready"))
            .timeout(Duration.ofSeconds(2))
            .build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (true) {
      if (!cp.process.isAlive()) {
        throw new IllegalStateException("the control plane exited; see " + log);
      }
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          System.out.printf("control plane (%s) ready, log %s%n", mode, log);
          return cp;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        cp.close();
        throw new IllegalStateException("the control plane was not ready within 180 s; see " + log);
      }
      Thread.sleep(500);
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
