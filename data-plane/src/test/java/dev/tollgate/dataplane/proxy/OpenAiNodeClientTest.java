package dev.tollgate.dataplane.proxy;

import static dev.tollgate.dataplane.GatewayTestResource.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.GatewayTestResource;
import dev.tollgate.proto.usage.v1.Counters;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's official npm package ({@code openai}, pinned in src/test/node/package-lock.json),
 * unmodified, against the gateway: src/test/node/client.mjs checks plain and streamed chat
 * completions, embeddings, responses (plain and through the stream helper), model listing and the
 * SDK's typed errors. Skipped only where {@code node} is not installed (scripts/services.sh
 * installs it); the package comes from the npm registry once, then from npm's cache.
 */
@QuarkusTest
@QuarkusTestResource(value = GatewayTestResource.class, restrictToAnnotatedClass = false)
class OpenAiNodeClientTest {

  private static final Path SOURCES = Path.of("src/test/node");
  private static final Path WORK = Path.of("target/node-client");

  @TestHTTPResource("/v1")
  URI v1;

  @Test
  void theOfficialNodeSdkWorksUnmodifiedAndItsRequestsAreCounted() throws Exception {
    assumeTrue(onPath("node"), "node is not installed");
    // Given the SDK installed exactly as locked
    Counters before = controlPlane.settledFor(OPENAI_NODE_KEY, java.time.Duration.ofMillis(600));
    Files.createDirectories(WORK);
    for (String file : List.of("package.json", "package-lock.json", "client.mjs")) {
      Files.copy(SOURCES.resolve(file), WORK.resolve(file), StandardCopyOption.REPLACE_EXISTING);
    }
    run(
        List.of("npm", "ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"),
        Map.of(),
        300);

    // When the script runs its checks against the gateway
    run(
        List.of("node", "client.mjs"),
        Map.of(
            "TOLLGATE_BASE_URL", v1.toString(),
            "TOLLGATE_KEY", OPENAI_NODE_SECRET,
            "TOLLGATE_OTHER_KEY", AUTH_SECRET),
        120);

    // Then every check passed (run() asserts exit 0), and the counted key saw its 5 successful
    // calls: chat 4+3 tokens twice, embeddings 2+0, responses 4+3 plain and streamed
    Eventually.within(
        Duration.ofSeconds(5),
        () -> {
          Counters now = controlPlane.appliedFor(OPENAI_NODE_KEY);
          assertThat(now.getRequests() - before.getRequests()).isEqualTo(5);
          assertThat(now.getSuccessRequests() - before.getSuccessRequests()).isEqualTo(5);
          assertThat(now.getPromptTokens() - before.getPromptTokens()).isEqualTo(18);
          assertThat(now.getCompletionTokens() - before.getCompletionTokens()).isEqualTo(12);
        });
  }

  private static void run(List<String> command, Map<String, String> env, long timeoutSeconds)
      throws IOException, InterruptedException {
    Path log = WORK.resolve(command.get(0) + ".log");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(WORK.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().putAll(env);
    Process process = builder.start();
    boolean exited = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
    }
    assertThat(exited).as("%s finished within %d s", command, timeoutSeconds).isTrue();
    assertThat(process.exitValue())
        .as("%s exit code; output:%n%s", command, Files.readString(log))
        .isZero();
  }

  private static boolean onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }
}
