package dev.tollgate.dataplane;

import dev.tollgate.bench.stub.StubUpstream;
import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.config.v1.Status;
import dev.tollgate.proto.config.v1.User;
import dev.tollgate.proto.usage.v1.ConcurrencyAdjustment;
import dev.tollgate.proto.usage.v1.ProviderKeyDelta;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the routing tests talk to: a {@link FakeControlPlane} and two stub upstreams (A and B), with
 * one provider group per scenario. Every id is offset by a random {@link #BASE} so that the Redis
 * state of these keys ({@code tg:adaptive:pk:<id>}, the rate limits) never meets another run's, in
 * the Redis of {@link TestRedis}.
 */
public class RoutingTestResource implements QuarkusTestResourceLifecycleManager {

  public static final String PROVIDER_SECRET = "sk-routing-provider";

  /** Random per run, a multiple of 10,000. */
  public static final long BASE = TestRedis.uniqueId() / 10_000L * 10_000L;

  public static final long USER = BASE + 1;
  public static final long CLIENT_KEY = BASE + 2;
  public static final String CLIENT_SECRET = "tg-routing-" + BASE;

  /** Model → group: key 1 on a closed port (priority 1), key 2 on stub A (priority 2). */
  public static final String FAILOVER_MODEL = "failover-model";

  public static final long FAILOVER_DEAD = BASE + 1011;
  public static final long FAILOVER_LIVE = BASE + 1012;

  /** Key 1 on stub B (priority 1), key 2 on stub A (priority 2). */
  public static final String THROTTLE_MODEL = "throttle-model";

  public static final long THROTTLE_FIRST = BASE + 1021;
  public static final long THROTTLE_SECOND = BASE + 1022;

  /** Key 1 on stub A (priority 1), key 2 on stub B (priority 2). */
  public static final String STREAM_MODEL = "stream-model";

  public static final long STREAM_FIRST = BASE + 1031;
  public static final long STREAM_SECOND = BASE + 1032;

  /** Key 1 with a secret the stub refuses (priority 1), key 2 with the right one (priority 2). */
  public static final String AUTH_MODEL = "auth-model";

  public static final long AUTH_REFUSED = BASE + 1041;
  public static final long AUTH_ACCEPTED = BASE + 1042;

  /** One key on stub A. */
  public static final String CIRCUIT_MODEL = "circuit-model";

  public static final long CIRCUIT_KEY = BASE + 1051;

  /** Four keys on closed ports, one priority. */
  public static final String RETRIES_MODEL = "retries-model";

  public static final long RETRIES_FIRST_KEY = BASE + 1061;

  /** One key on a closed port; the group falls back to a group the client key is not bound to. */
  public static final String FALLBACK_MODEL = "fallback-model";

  public static final long FALLBACK_DEAD = BASE + 1071;
  public static final long FALLBACK_TARGET_KEY = BASE + 1081;

  /** One adaptive key on stub A. */
  public static final String ADAPTIVE_MODEL = "adaptive-model";

  public static final long ADAPTIVE_KEY = BASE + 1091;

  /** One key on stub A with max_concurrent 2. */
  public static final String FIXED_MODEL = "fixed-model";

  public static final long FIXED_KEY = BASE + 1101;

  /** One adaptive key on stub A, for resets. */
  public static final String RESET_MODEL = "reset-model";

  public static final long RESET_KEY = BASE + 1111;

  public static FakeControlPlane controlPlane;
  public static int stubA;
  public static int stubB;
  public static String stubAUrl;
  private static Vertx upstreamVertx;

  @Override
  public Map<String, String> start() {
    try {
      stubA = freePort();
      stubB = freePort();
      int closedPort = freePort();
      upstreamVertx = Vertx.vertx();
      for (int port : new int[] {stubA, stubB}) {
        StubUpstream.deploy(upstreamVertx, port, 1, PROVIDER_SECRET)
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
      }
      stubAUrl = "http://127.0.0.1:" + stubA + "/v1";
      String stubBUrl = "http://127.0.0.1:" + stubB + "/v1";
      String closed = "http://127.0.0.1:" + closedPort + "/v1";
      controlPlane = new FakeControlPlane().start();
      FakeControlPlane cp = controlPlane;
      cp.put(User.newBuilder().setId(USER).setStatus(Status.STATUS_ACTIVE).build());
      List<Long> groups = new java.util.ArrayList<>();
      groups.add(group(cp, 101, FAILOVER_MODEL, 0));
      cp.put(key(FAILOVER_DEAD, 101, closed, 1, 100));
      cp.put(key(FAILOVER_LIVE, 101, stubAUrl, 2, 100));
      groups.add(group(cp, 102, THROTTLE_MODEL, 0));
      cp.put(key(THROTTLE_FIRST, 102, stubBUrl, 1, 100));
      cp.put(key(THROTTLE_SECOND, 102, stubAUrl, 2, 100));
      groups.add(group(cp, 103, STREAM_MODEL, 0));
      cp.put(key(STREAM_FIRST, 103, stubAUrl, 1, 100));
      cp.put(key(STREAM_SECOND, 103, stubBUrl, 2, 100));
      groups.add(group(cp, 104, AUTH_MODEL, 0));
      cp.put(key(AUTH_REFUSED, 104, stubAUrl, 1, 100).toBuilder().setSecret("sk-wrong").build());
      cp.put(key(AUTH_ACCEPTED, 104, stubAUrl, 2, 100));
      groups.add(group(cp, 105, CIRCUIT_MODEL, 0));
      cp.put(key(CIRCUIT_KEY, 105, stubAUrl, 1, 100));
      groups.add(group(cp, 106, RETRIES_MODEL, 0));
      for (int i = 0; i < 4; i++) {
        cp.put(key(RETRIES_FIRST_KEY + i, 106, closed, 1, 100));
      }
      groups.add(group(cp, 107, FALLBACK_MODEL, BASE + 108));
      cp.put(key(FALLBACK_DEAD, 107, closed, 1, 100));
      group(cp, 108, "fallback-target-model", 0);
      cp.put(key(FALLBACK_TARGET_KEY, 108, stubAUrl, 1, 100));
      groups.add(group(cp, 109, ADAPTIVE_MODEL, 0));
      cp.put(key(ADAPTIVE_KEY, 109, stubAUrl, 1, 0));
      groups.add(group(cp, 110, FIXED_MODEL, 0));
      cp.put(key(FIXED_KEY, 110, stubAUrl, 1, 2));
      groups.add(group(cp, 111, RESET_MODEL, 0));
      cp.put(key(RESET_KEY, 111, stubAUrl, 1, 0));
      cp.put(
          FakeControlPlane.key(
                  CLIENT_KEY,
                  USER,
                  CLIENT_SECRET,
                  groups.stream().mapToLong(Long::longValue).toArray())
              .build());

      Map<String, String> config = new HashMap<>();
      config.put("tollgate.control-plane", "127.0.0.1:" + controlPlane.port());
      config.put("tollgate.internal-token", FakeControlPlane.INTERNAL_TOKEN);
      config.put("tollgate.redis.url", TestRedis.URL);
      config.put("tollgate.redis.timeout", "2s");
      config.put("tollgate.flush-interval", "200ms");
      config.put("tollgate.flush-max-backoff", "400ms");
      config.put("tollgate.upstream.first-byte-timeout", "1s");
      config.put("tollgate.upstream.idle-timeout", "1s");
      config.put("tollgate.routing.default-cooldown", "2s");
      config.put("tollgate.routing.concurrency-cooldown", "50ms");
      config.put("tollgate.routing.circuit.open-duration", "500ms");
      config.put("tollgate.routing.circuit.max-open-duration", "3s");
      config.put("tollgate.routing.adaptive.sync-interval", "100ms");
      config.put("tollgate.routing.adaptive.increase-quiet-period", "1s");
      config.put("tollgate.routing.adaptive.decrease-debounce", "200ms");
      config.put("tollgate.routing.adaptive.redis-timeout", "1s");
      return config;
    } catch (Exception e) {
      throw new IllegalStateException("routing test upstreams did not start", e);
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

  /** Tries of {@code providerKeyId} the control plane has received so far, summed. */
  public static ProviderKeyDelta appliedForProviderKey(long providerKeyId) {
    ProviderKeyDelta.Builder sum = ProviderKeyDelta.newBuilder().setProviderKeyId(providerKeyId);
    long requests = 0;
    long success = 0;
    long failure = 0;
    for (var batch : controlPlane.appliedBatches()) {
      for (ProviderKeyDelta delta : batch.getProviderKeyDeltasList()) {
        if (delta.getProviderKeyId() == providerKeyId) {
          requests += delta.getCounters().getRequests();
          success += delta.getCounters().getSuccessRequests();
          failure += delta.getCounters().getFailureRequests();
          sum.setUpstream429Rpm(sum.getUpstream429Rpm() + delta.getUpstream429Rpm());
          sum.setUpstream429Concurrency(
              sum.getUpstream429Concurrency() + delta.getUpstream429Concurrency());
          sum.setUpstream429Unknown(sum.getUpstream429Unknown() + delta.getUpstream429Unknown());
        }
      }
    }
    sum.getCountersBuilder()
        .setRequests(requests)
        .setSuccessRequests(success)
        .setFailureRequests(failure);
    return sum.build();
  }

  /** Learned-limit changes of {@code providerKeyId} the control plane has received, in order. */
  public static List<ConcurrencyAdjustment> adjustmentsOf(long providerKeyId) {
    return controlPlane.appliedBatches().stream()
        .flatMap(b -> b.getAdjustmentsList().stream())
        .filter(a -> a.getProviderKeyId() == providerKeyId)
        .toList();
  }

  private static long group(FakeControlPlane cp, long offset, String model, long fallback) {
    cp.put(
        ProviderGroup.newBuilder()
            .setId(BASE + offset)
            .setName("routing-" + offset)
            .setPlatform("openai")
            .addModels(model)
            .setStatus(Status.STATUS_ACTIVE)
            .setFallbackGroupId(fallback)
            .build());
    return BASE + offset;
  }

  private static ProviderKey key(
      long id, long groupOffset, String baseUrl, int priority, int maxConcurrent) {
    return ProviderKey.newBuilder()
        .setId(id)
        .setGroupId(BASE + groupOffset)
        .setBaseUrl(baseUrl)
        .setSecret(PROVIDER_SECRET)
        .setPriority(priority)
        .setWeight(1)
        .setStatus(Status.STATUS_ACTIVE)
        .setMaxConcurrent(maxConcurrent)
        .build();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
