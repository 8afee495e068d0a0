package dev.tollgate.dataplane;

import dev.tollgate.bench.stub.StubJournal;
import dev.tollgate.bench.stub.StubUpstream;
import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.config.v1.Status;
import dev.tollgate.proto.config.v1.User;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Everything a data-plane test talks to, in-process: a {@link FakeControlPlane} with a known
 * configuration and the stub upstream. Each test that checks counts uses its own client key so
 * tests sharing the application do not see each other's usage.
 */
public class GatewayTestResource implements QuarkusTestResourceLifecycleManager {

  public static final String PROVIDER_SECRET = "sk-stub-provider";

  public static final long ACTIVE_USER = 1;
  public static final long DISABLED_USER = 2;

  /** Serves gpt-4o-mini and alias-model (sent upstream as gpt-4o) through the stub. */
  public static final long STUB_GROUP = 10;

  /** Serves unreachable-model through a provider key whose base_url refuses connections. */
  public static final long UNREACHABLE_GROUP = 11;

  /** Serves refused-model through a provider key whose secret the stub refuses. */
  public static final long WRONG_SECRET_GROUP = 12;

  /** A disabled group serving disabled-model. */
  public static final long DISABLED_GROUP = 13;

  /** An active group serving keyless-model with no provider key at all. */
  public static final long KEYLESS_GROUP = 14;

  /**
   * Platform anthropic: serves claude-stub (sent upstream as claude-stub-upstream) on /messages.
   */
  public static final long ANTHROPIC_GROUP = 15;

  /**
   * Serves throttled-model through a provider key of its own on the stub, so tests that make the
   * stub answer 429 or 5xx cool down or trip only that key, never the one of STUB_GROUP.
   */
  public static final long THROTTLED_GROUP = 16;

  public static final long STUB_PROVIDER_KEY = 100;
  public static final long ANTHROPIC_PROVIDER_KEY = 150;
  public static final long UNREACHABLE_PROVIDER_KEY = 110;

  /** Client keys by purpose: id and secret. Tests that count usage each have their own. */
  public static final long AUTH_KEY = 1;

  public static final String AUTH_SECRET = "tg-auth";
  public static final String DISABLED_SECRET = "tg-disabled";
  public static final long REVOKED_LATER_KEY = 3;
  public static final String REVOKED_LATER_SECRET = "tg-revoked-later";
  public static final String EXPIRED_SECRET = "tg-expired";
  public static final String USER_DISABLED_SECRET = "tg-user-disabled";
  public static final String STATUS_EXPIRED_SECRET = "tg-status-expired";
  public static final long PLAIN_KEY = 6;
  public static final String PLAIN_SECRET = "tg-plain";
  public static final long STREAM_KEY = 7;
  public static final String STREAM_SECRET = "tg-stream";
  public static final long ERRORS_KEY = 9;
  public static final String ERRORS_SECRET = "tg-errors";
  public static final long ERRORS_IDLE_KEY = 13;
  public static final String ERRORS_IDLE_SECRET = "tg-errors-idle";
  public static final long FLUSH_KEY = 10;
  public static final String FLUSH_SECRET = "tg-flush";
  public static final String MODELS_SECRET = "tg-models";

  /** Keys of the API-surface, client-library and streaming tests, each counted on its own. */
  public static final long SURFACE_KEY = 40;

  public static final String SURFACE_SECRET = "tg-surface";
  public static final long ANTHROPIC_KEY = 41;
  public static final String ANTHROPIC_SECRET = "tg-anthropic";
  public static final long DISCONNECT_KEY = 42;
  public static final String DISCONNECT_SECRET = "tg-disconnect";
  public static final long OPENAI_JAVA_KEY = 43;
  public static final long FRONT_DOOR_KEY = 48;
  public static final String FRONT_DOOR_SECRET = "tg-front-door";
  public static final String OPENAI_JAVA_SECRET = "tg-openai-java";
  public static final long OPENAI_NODE_KEY = 44;
  public static final String OPENAI_NODE_SECRET = "tg-openai-node";

  /** May use only gpt-4o-mini, claude-stub and keyless-model of its groups. */
  public static final String ALLOWED_MODELS_SECRET = "tg-allowed-models";

  public static final long BIG_STREAM_KEY = 46;
  public static final String BIG_STREAM_SECRET = "tg-big-stream";

  /** What the stub upstream saw, by request id. */
  public static final StubJournal upstreamJournal = new StubJournal();

  /** Denied from loopback, where the tests send from. */
  public static final String LOOPBACK_DENIED_SECRET = "tg-loopback-denied";

  /** May only use alias-model. */
  public static final String MODEL_LIMITED_SECRET = "tg-model-limited";

  /**
   * Keys with limits in Redis get ids no other run uses (Redis is shared, and counters live for a
   * minute).
   */
  public static final long RPM_KEY = TestRedis.uniqueId();

  public static final String RPM_SECRET = "tg-rpm-" + RPM_KEY;
  public static final long CONCURRENCY_KEY = TestRedis.uniqueId();
  public static final String CONCURRENCY_SECRET = "tg-concurrency-" + CONCURRENCY_KEY;

  public static FakeControlPlane controlPlane;
  private static Vertx upstreamVertx;

  @Override
  public Map<String, String> start() {
    try {
      int upstreamPort = freePort();
      int closedPort = freePort();
      upstreamVertx = Vertx.vertx();
      StubUpstream.deploy(upstreamVertx, upstreamPort, 1, PROVIDER_SECRET, upstreamJournal)
          .toCompletionStage()
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      controlPlane = new FakeControlPlane().start();
      configure(controlPlane, "http://127.0.0.1:" + upstreamPort + "/v1", closedPort);
      return Map.ofEntries(
          Map.entry("tollgate.control-plane", "127.0.0.1:" + controlPlane.port()),
          Map.entry("tollgate.internal-token", FakeControlPlane.INTERNAL_TOKEN),
          Map.entry("tollgate.flush-interval", "200ms"),
          Map.entry("tollgate.flush-max-backoff", "400ms"),
          Map.entry("tollgate.upstream.first-byte-timeout", "1s"),
          Map.entry("tollgate.upstream.idle-timeout", "1s"),
          Map.entry("tollgate.max-request-body-bytes", "65536"),
          Map.entry("tollgate.http.body-timeout", "1500ms"),
          Map.entry("tollgate.redis.url", TestRedis.URL),
          // A cold test JVM connects slowly; the fail-open path has tests of its own.
          Map.entry("tollgate.redis.timeout", "2s"),
          // The tests sharing this app steer errors through the stub's provider key on purpose;
          // failing over or opening its circuit would change what they check. Failover, circuits
          // and limits are tested under RoutingTestProfile, with their own keys.
          Map.entry("tollgate.routing.max-retries", "0"),
          Map.entry("tollgate.routing.circuit.window-size", "100000"),
          Map.entry("tollgate.routing.circuit.minimum-samples", "100000"));
    } catch (Exception e) {
      throw new IllegalStateException("test control plane or upstream did not start", e);
    }
  }

  @Override
  public void stop() {
    try {
      if (controlPlane != null) {
        controlPlane.stop();
      }
      if (upstreamVertx != null) {
        upstreamVertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void configure(FakeControlPlane cp, String stubBaseUrl, int closedPort) {
    cp.put(User.newBuilder().setId(ACTIVE_USER).setStatus(Status.STATUS_ACTIVE).build());
    cp.put(User.newBuilder().setId(DISABLED_USER).setStatus(Status.STATUS_DISABLED).build());
    cp.put(
        ProviderGroup.newBuilder()
            .setId(STUB_GROUP)
            .setName("stub")
            .setPlatform("openai")
            .addModels("gpt-4o-mini")
            .addModels("alias-model")
            .putModelMapping("alias-model", "gpt-4o")
            .setStatus(Status.STATUS_ACTIVE)
            .build());
    cp.put(
        ProviderGroup.newBuilder()
            .setId(ANTHROPIC_GROUP)
            .setName("anthropic-stub")
            .setPlatform("anthropic")
            .addModels("claude-stub")
            .putModelMapping("claude-stub", "claude-stub-upstream")
            .setStatus(Status.STATUS_ACTIVE)
            .build());
    cp.put(group(UNREACHABLE_GROUP, "unreachable-model", Status.STATUS_ACTIVE));
    cp.put(group(THROTTLED_GROUP, "throttled-model", Status.STATUS_ACTIVE));
    cp.put(group(WRONG_SECRET_GROUP, "refused-model", Status.STATUS_ACTIVE));
    cp.put(group(DISABLED_GROUP, "disabled-model", Status.STATUS_DISABLED));
    cp.put(group(KEYLESS_GROUP, "keyless-model", Status.STATUS_ACTIVE));
    cp.put(providerKey(STUB_PROVIDER_KEY, STUB_GROUP, stubBaseUrl, PROVIDER_SECRET, 1));
    // A lower tier (higher priority value) that must never be chosen while tier 1 is active.
    cp.put(providerKey(101, STUB_GROUP, "http://127.0.0.1:" + closedPort + "/v1", "x", 5));
    cp.put(
        providerKey(
            UNREACHABLE_PROVIDER_KEY,
            UNREACHABLE_GROUP,
            "http://127.0.0.1:" + closedPort + "/v1",
            "x",
            1));
    cp.put(providerKey(120, WRONG_SECRET_GROUP, stubBaseUrl, "sk-wrong", 1));
    cp.put(providerKey(130, DISABLED_GROUP, stubBaseUrl, PROVIDER_SECRET, 1));
    cp.put(providerKey(ANTHROPIC_PROVIDER_KEY, ANTHROPIC_GROUP, stubBaseUrl, PROVIDER_SECRET, 1));
    cp.put(providerKey(160, THROTTLED_GROUP, stubBaseUrl, PROVIDER_SECRET, 1));
    clientKeys(cp);
    ruledKeys(cp);
  }

  private static void clientKeys(FakeControlPlane cp) {
    long[] all = {
      STUB_GROUP,
      UNREACHABLE_GROUP,
      WRONG_SECRET_GROUP,
      DISABLED_GROUP,
      KEYLESS_GROUP,
      ANTHROPIC_GROUP,
      THROTTLED_GROUP
    };
    cp.put(FakeControlPlane.key(AUTH_KEY, ACTIVE_USER, AUTH_SECRET, all).build());
    cp.put(
        FakeControlPlane.key(2, ACTIVE_USER, DISABLED_SECRET, all)
            .setStatus(Status.STATUS_DISABLED)
            .build());
    cp.put(FakeControlPlane.key(REVOKED_LATER_KEY, ACTIVE_USER, REVOKED_LATER_SECRET, all).build());
    cp.put(
        FakeControlPlane.key(4, ACTIVE_USER, EXPIRED_SECRET, all)
            .setExpiresAtUnixMs(1_000)
            .build());
    cp.put(FakeControlPlane.key(5, DISABLED_USER, USER_DISABLED_SECRET, all).build());
    cp.put(FakeControlPlane.key(PLAIN_KEY, ACTIVE_USER, PLAIN_SECRET, all).build());
    cp.put(FakeControlPlane.key(STREAM_KEY, ACTIVE_USER, STREAM_SECRET, all).build());
    cp.put(FakeControlPlane.key(ERRORS_KEY, ACTIVE_USER, ERRORS_SECRET, all).build());
    cp.put(FakeControlPlane.key(FLUSH_KEY, ACTIVE_USER, FLUSH_SECRET, all).build());
    cp.put(FakeControlPlane.key(ERRORS_IDLE_KEY, ACTIVE_USER, ERRORS_IDLE_SECRET, all).build());
    cp.put(
        FakeControlPlane.key(11, ACTIVE_USER, STATUS_EXPIRED_SECRET, all)
            .setStatus(Status.STATUS_EXPIRED)
            .build());
    cp.put(FakeControlPlane.key(SURFACE_KEY, ACTIVE_USER, SURFACE_SECRET, all).build());
    cp.put(FakeControlPlane.key(ANTHROPIC_KEY, ACTIVE_USER, ANTHROPIC_SECRET, all).build());
    cp.put(FakeControlPlane.key(DISCONNECT_KEY, ACTIVE_USER, DISCONNECT_SECRET, all).build());
    cp.put(FakeControlPlane.key(OPENAI_JAVA_KEY, ACTIVE_USER, OPENAI_JAVA_SECRET, all).build());
    cp.put(FakeControlPlane.key(FRONT_DOOR_KEY, ACTIVE_USER, FRONT_DOOR_SECRET, all).build());
    cp.put(FakeControlPlane.key(OPENAI_NODE_KEY, ACTIVE_USER, OPENAI_NODE_SECRET, all).build());
    cp.put(FakeControlPlane.key(BIG_STREAM_KEY, ACTIVE_USER, BIG_STREAM_SECRET, all).build());
    cp.put(
        FakeControlPlane.key(45, ACTIVE_USER, ALLOWED_MODELS_SECRET, all)
            .addAllowedModels("gpt-4o-mini")
            .addAllowedModels("claude-stub")
            .addAllowedModels("keyless-model")
            .build());
    cp.put(
        FakeControlPlane.key(
                12,
                ACTIVE_USER,
                MODELS_SECRET,
                STUB_GROUP,
                UNREACHABLE_GROUP,
                DISABLED_GROUP,
                KEYLESS_GROUP)
            .build());
  }

  private static void ruledKeys(FakeControlPlane cp) {
    cp.put(
        FakeControlPlane.key(14, ACTIVE_USER, LOOPBACK_DENIED_SECRET, STUB_GROUP)
            .addIpAllow("0.0.0.0/0")
            .addIpAllow("::/0")
            .addIpDeny("127.0.0.0/8")
            .addIpDeny("::1/128")
            .build());
    cp.put(
        FakeControlPlane.key(15, ACTIVE_USER, MODEL_LIMITED_SECRET, STUB_GROUP)
            .addAllowedModels("alias-model")
            .build());
    cp.put(
        FakeControlPlane.key(RPM_KEY, ACTIVE_USER, RPM_SECRET, STUB_GROUP).setRpmLimit(2).build());
    cp.put(
        FakeControlPlane.key(CONCURRENCY_KEY, ACTIVE_USER, CONCURRENCY_SECRET, STUB_GROUP)
            .setConcurrencyLimit(1)
            .build());
  }

  private static ProviderGroup group(long id, String model, Status status) {
    return ProviderGroup.newBuilder()
        .setId(id)
        .setName("group-" + id)
        .setPlatform("openai")
        .addModels(model)
        .setStatus(status)
        .build();
  }

  private static ProviderKey providerKey(
      long id, long groupId, String baseUrl, String secret, int priority) {
    return ProviderKey.newBuilder()
        .setId(id)
        .setGroupId(groupId)
        .setBaseUrl(baseUrl)
        .setSecret(secret)
        .setPriority(priority)
        .setWeight(1)
        .setStatus(Status.STATUS_ACTIVE)
        // Fixed and generous: these ids are the same in every checkout, so an adaptive limit would
        // be shared (through Redis) with whatever else runs these tests at the same time.
        .setMaxConcurrent(1000)
        .build();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
