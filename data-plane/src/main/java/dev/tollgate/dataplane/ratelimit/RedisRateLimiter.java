package dev.tollgate.dataplane.ratelimit;

import dev.tollgate.dataplane.DataPlaneConfig;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * {@link RateLimiter} on Redis, with admissions batched per event loop.
 *
 * <p>Why batched: one script call per request costs a Redis round trip and a Lua invocation per
 * request, which at saturation costs more than the whole rest of the request path. Instead each
 * event loop owns one Redis connection and a queue: requests arriving while that loop is busy (the
 * same turn of the loop, or while its previous call is in flight) go to Redis together in one
 * {@code EVALSHA} of {@code limits.lua}, which admits them one after the other, each
 * all-scopes-or-nothing, exactly as separate calls would: Redis runs a script atomically, so
 * batching changes how many round trips there are, never what is admitted. Releases, renewals and
 * TPM charges ride in the same calls. At low load a call carries one request and adds one round
 * trip; under load a call carries many and the cost per request falls.
 *
 * <p>Time bound: a call gets {@code tollgate.redis.timeout} from the enqueueing of its oldest
 * request; if it has not answered by then every request waiting on that loop is decided by {@code
 * tollgate.redis.fail-mode}, the connection is closed (a late answer is never applied twice) and
 * Redis is left alone for {@code tollgate.redis.reconnect-interval}, during which the fail mode
 * decides at once. Such decisions are counted ({@code tollgate_ratelimit_redis_unavailable_total})
 * and logged at most once per 10 s.
 *
 * <p>Threads: everything of one event loop (its queue, connection, live leases) is confined to that
 * loop's thread; answers arriving on another thread hop back. Nothing blocks.
 */
public class RedisRateLimiter implements RateLimiter {

  private static final Logger LOG = Logger.getLogger(RedisRateLimiter.class);
  private static final String SCRIPT_RESOURCE = "/dev/tollgate/dataplane/ratelimit/limits.lua";
  private static final int MAX_HELD_RELEASE_ARGS = 100_000;

  private final Vertx vertx;
  private final Redis redis;
  private final String script;
  private final long timeoutNanos;
  private final long leaseTtlMs;
  private final long reconnectNanos;
  private final int maxBatch;
  private final String leasePrefix = UUID.randomUUID().toString().substring(0, 8) + ":";
  private final Map<Thread, Loop> loops = new ConcurrentHashMap<>();
  private final RedisFailMode failMode;
  private final DistributionSummary batchSize;
  private volatile String sha;
  private volatile boolean closed;

  /** A limiter on the Redis of {@code settings}. */
  public RedisRateLimiter(Vertx vertx, DataPlaneConfig.Redis settings, MeterRegistry registry) {
    this.vertx = vertx;
    this.timeoutNanos = settings.timeout().toNanos();
    this.leaseTtlMs = settings.leaseTtl().toMillis();
    this.reconnectNanos = settings.reconnectInterval().toNanos();
    this.maxBatch = settings.maxBatch();
    if (timeoutNanos <= 0 || leaseTtlMs < 3 || maxBatch < 1) {
      throw new IllegalArgumentException(
          "tollgate.redis.timeout and lease-ttl must be positive and max-batch at least 1");
    }
    this.script = loadScript();
    this.redis =
        Redis.createClient(
            vertx,
            new RedisOptions()
                .setConnectionString(settings.url())
                // One connection per event loop, held for the life of the process.
                .setMaxPoolSize(Math.max(8, 4 * Runtime.getRuntime().availableProcessors()))
                .setMaxPoolWaiting(64)
                .setNetClientOptions(
                    new NetClientOptions()
                        .setTcpNoDelay(true)
                        .setTcpKeepAlive(true)
                        .setConnectTimeout((int) Math.max(1, settings.timeout().toMillis() * 4))));
    this.failMode = new RedisFailMode(settings, registry);
    this.batchSize =
        DistributionSummary.builder("tollgate.ratelimit.batch.size")
            .description("Requests admitted per Redis script call")
            .register(registry);
  }

  /**
   * Opens each event loop's connection (and loads the script) at start, so that the first requests
   * do not pay for it, or fall to the fail mode while it happens.
   */
  void connectEarly() {
    VertxInternal internal = (VertxInternal) vertx;
    for (EventExecutor executor : internal.getEventLoopGroup()) {
      ContextInternal context =
          internal.createEventLoopContext(
              (EventLoop) executor, null, Thread.currentThread().getContextClassLoader());
      context.runOnContext(v -> loop().connectIfIdle());
    }
  }

  @Override
  public void close() {
    closed = true;
    redis.close();
  }

  @Override
  public void admit(Limits limits, Handler<Decision> done) {
    if (limits.none()) {
      done.handle(Decision.UNLIMITED);
      return;
    }
    loop().admit(limits, done);
  }

  @Override
  public void complete(Decision decision, long totalTokens) {
    if (decision.limits == null) {
      return;
    }
    Loop loop = loop();
    if (decision.lease != null) {
      loop.release(decision);
    }
    if (decision.limits.tpmCharge != null && totalTokens > 0) {
      loop.charge(decision.limits.tpmCharge, totalTokens);
    }
  }

  private Loop loop() {
    Thread thread = Thread.currentThread();
    Loop loop = loops.get(thread);
    if (loop == null) {
      Context context = Vertx.currentContext();
      if (context == null || !context.isEventLoopContext()) {
        throw new IllegalStateException("the rate limiter is called on event loops only");
      }
      // The root context of the loop, not the request's duplicate: the loop's work outlives the
      // request and must not carry its context-local data.
      loop = new Loop(((ContextInternal) context).unwrap(), thread);
      loops.put(thread, loop);
    }
    return loop;
  }

  static String loadScript() {
    try (InputStream in = RedisRateLimiter.class.getResourceAsStream(SCRIPT_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(SCRIPT_RESOURCE + " is missing from the build");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + SCRIPT_RESOURCE, e);
    }
  }

  /** One admission waiting for its answer. */
  private static final class Waiting {
    final Limits limits;
    final String lease;
    final Handler<Decision> done;
    final long enqueuedNanos;

    Waiting(Limits limits, String lease, Handler<Decision> done, long enqueuedNanos) {
      this.limits = limits;
      this.lease = lease;
      this.done = done;
      this.enqueuedNanos = enqueuedNanos;
    }
  }

  /** Everything of one event loop. Confined to its thread. */
  private final class Loop {
    private final Context context;
    private final Thread thread;
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private final List<String> sideOps = new ArrayList<>();
    // Releases are kept until a call carrying them succeeds, so that a Redis outage does not hold
    // finished requests' slots until their leases expire; resending one is harmless (ZREM).
    private final List<String> releases = new ArrayList<>();
    private List<String> releasesInFlight = List.of();
    private final Map<String, String[]> liveLeases = new HashMap<>();
    private RedisConnection connection;
    private boolean connecting;
    private long downUntilNanos;
    private boolean flushScheduled;
    private List<Waiting> inFlight;
    private long inFlightTimer = -1;
    private long nextLease;
    private long renewTimer = -1;

    Loop(Context context, Thread thread) {
      this.context = context;
      this.thread = thread;
    }

    void connectIfIdle() {
      if (connection == null && inFlight == null && !closed) {
        connect();
      }
    }

    void admit(Limits limits, Handler<Decision> done) {
      String lease = limits.leases() ? leasePrefix + thread.getId() + ":" + nextLease++ : null;
      if (down()) {
        done.handle(failMode.decide(limits, lease));
        return;
      }
      waiting.add(new Waiting(limits, lease, done, System.nanoTime()));
      wake();
    }

    void release(Decision decision) {
      String[] keys = liveLeases.remove(decision.lease);
      if (keys == null) {
        keys = concurrencyKeys(decision.limits);
      }
      if (keys.length == 0 || releases.size() >= MAX_HELD_RELEASE_ARGS) {
        // Beyond the bound (a long outage) the lease expires with its time to live instead.
        return;
      }
      releases.add("R");
      releases.add(Integer.toString(keys.length));
      releases.add(decision.lease);
      for (String key : keys) {
        releases.add(key);
      }
      if (!down()) {
        wake();
      }
    }

    void charge(String tpmPrefix, long tokens) {
      if (down()) {
        return;
      }
      sideOps.add("C");
      sideOps.add(tpmPrefix);
      sideOps.add(Long.toString(tokens));
      wake();
    }

    private boolean down() {
      return downUntilNanos != 0 && System.nanoTime() - downUntilNanos < 0;
    }

    /** Sends at the end of this turn of the loop, unless a call is in flight (then after it). */
    private void wake() {
      if (flushScheduled || inFlight != null) {
        return;
      }
      flushScheduled = true;
      context.runOnContext(v -> flush());
    }

    private void flush() {
      flushScheduled = false;
      if (inFlight != null || closed) {
        return;
      }
      if (waiting.isEmpty() && sideOps.isEmpty() && releases.isEmpty()) {
        return;
      }
      if (connection == null) {
        connect();
        return;
      }
      if (sha == null) {
        loadScriptThenFlush(connection);
        return;
      }
      List<Waiting> batch = new ArrayList<>(Math.min(waiting.size(), maxBatch));
      Request request = Request.cmd(Command.EVALSHA).arg(sha).arg(0).arg(leaseTtlMs);
      while (!waiting.isEmpty() && batch.size() < maxBatch) {
        Waiting w = waiting.poll();
        batch.add(w);
        appendAdmit(request, w);
      }
      for (String arg : sideOps) {
        request.arg(arg);
      }
      sideOps.clear();
      for (String arg : releases) {
        request.arg(arg);
      }
      releasesInFlight = new ArrayList<>(releases);
      releases.clear();
      if (!batch.isEmpty()) {
        batchSize.record(batch.size());
      }
      inFlight = batch;
      long oldest = batch.isEmpty() ? System.nanoTime() : batch.get(0).enqueuedNanos;
      long delayMs =
          Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos - (System.nanoTime() - oldest)));
      inFlightTimer = vertx.setTimer(delayMs, id -> timedOut(batch));
      RedisConnection sentOn = connection;
      sentOn
          .send(request)
          .onComplete(
              answer -> {
                if (Thread.currentThread() == thread) {
                  answered(sentOn, batch, answer.result(), answer.cause());
                } else {
                  context.runOnContext(
                      v -> answered(sentOn, batch, answer.result(), answer.cause()));
                }
              });
    }

    private void appendAdmit(Request request, Waiting w) {
      Limits l = w.limits;
      int conc = l.scopes.length - l.windows;
      request
          .arg("A")
          .arg(l.windows)
          .arg(l.rpmWindows)
          .arg(conc)
          .arg(w.lease == null ? "-" : w.lease);
      for (int i = 0; i < l.scopes.length; i++) {
        request.arg(l.keys[i]).arg(l.limits[i]);
      }
    }

    private void answered(
        RedisConnection sentOn, List<Waiting> batch, Response response, Throwable failure) {
      if (inFlight != batch) {
        // Timed out already: every request of it was decided by the fail mode.
        return;
      }
      inFlight = null;
      vertx.cancelTimer(inFlightTimer);
      if (failure != null) {
        if (failure.getMessage() != null && failure.getMessage().startsWith("NOSCRIPT")) {
          // Redis lost its script cache (restart, SCRIPT FLUSH): load it again, then resend.
          requeue(batch);
          releases.addAll(0, releasesInFlight);
          releasesInFlight = List.of();
          loadScriptThenFlush(sentOn);
          return;
        }
        LOG.debugf("Redis limits call failed: %s", failure);
        unreachable(batch, false);
        return;
      }
      for (int i = 0; i < batch.size(); i++) {
        Waiting w = batch.get(i);
        // The reply is the minute of the call, then two numbers per admission.
        int refused = response.get(1 + 2 * i).toInteger();
        long retryMs = response.get(2 + 2 * i).toLong();
        Decision decision;
        if (refused == 0) {
          if (w.lease != null) {
            liveLeases.put(w.lease, concurrencyKeys(w.limits));
            armRenewal();
          }
          decision = new Decision(true, null, 0, false, w.limits, w.lease);
        } else {
          decision =
              new Decision(
                  false,
                  w.limits.scopes[refused - 1],
                  Math.max(1, (retryMs + 999) / 1000),
                  false,
                  null,
                  null);
        }
        w.done.handle(decision);
      }
      releasesInFlight = List.of();
      if (!waiting.isEmpty() || !sideOps.isEmpty() || !releases.isEmpty()) {
        flush();
      }
    }

    private void requeue(List<Waiting> batch) {
      for (int i = batch.size() - 1; i >= 0; i--) {
        waiting.addFirst(batch.get(i));
      }
    }

    private void timedOut(List<Waiting> batch) {
      if (inFlight != batch) {
        return;
      }
      inFlight = null;
      LOG.debugf("Redis limits call unanswered after %d ms", timeoutNanos / 1_000_000);
      unreachable(batch, false);
    }

    /**
     * Decides everything waiting by the fail mode and drops the connection, so that a late answer
     * is never applied. A call that failed or was slow only reconnects (the next requests wait for
     * that, within their own bound); {@code leaveAlone} (Redis refused or did not take a
     * connection) also makes the fail mode decide at once for the reconnect interval, so that a
     * Redis that is down costs requests nothing.
     */
    private void unreachable(List<Waiting> batch, boolean leaveAlone) {
      if (leaveAlone) {
        downUntilNanos = System.nanoTime() + reconnectNanos;
      }
      if (connection != null) {
        RedisConnection broken = connection;
        connection = null;
        broken.close();
      }
      // Renewals and TPM charges of the moment are dropped (a charge applied twice would be worse
      // than one lost); releases are kept for the next call.
      sideOps.clear();
      releases.addAll(0, releasesInFlight);
      releasesInFlight = List.of();
      List<Waiting> all = new ArrayList<>(batch);
      all.addAll(waiting);
      waiting.clear();
      for (Waiting w : all) {
        w.done.handle(failMode.decide(w.limits, w.lease));
      }
    }

    private void connect() {
      if (connecting) {
        return;
      }
      connecting = true;
      List<Waiting> attempt = new ArrayList<>();
      // The connect itself is bounded like a call: the requests waiting for it are decided by
      // the fail mode when it takes too long.
      inFlight = attempt;
      inFlightTimer =
          vertx.setTimer(
              Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)),
              id -> {
                if (inFlight == attempt) {
                  inFlight = null;
                  unreachable(attempt, true);
                }
              });
      redis
          .connect()
          .onComplete(
              result ->
                  context.runOnContext(
                      v -> {
                        connecting = false;
                        if (result.failed()) {
                          LOG.debugf("Redis connection failed: %s", result.cause());
                          if (inFlight == attempt) {
                            inFlight = null;
                            vertx.cancelTimer(inFlightTimer);
                            unreachable(attempt, true);
                          }
                          return;
                        }
                        RedisConnection opened = result.result();
                        if (inFlight != attempt || closed) {
                          // Too late: the waiting requests were decided; keep it for the next.
                          adopt(opened);
                          return;
                        }
                        adopt(opened);
                        inFlight = null;
                        vertx.cancelTimer(inFlightTimer);
                        if (sha == null) {
                          loadScriptThenFlush(opened);
                        } else {
                          flush();
                        }
                      }));
    }

    private void adopt(RedisConnection opened) {
      if (connection != null && connection != opened) {
        opened.close();
        return;
      }
      connection = opened;
      downUntilNanos = 0;
      opened.exceptionHandler(
          e ->
              context.runOnContext(
                  v -> {
                    LOG.debugf("Redis connection failed: %s", e);
                    dropConnection(opened);
                  }));
      opened.endHandler(v -> context.runOnContext(x -> dropConnection(opened)));
    }

    private void dropConnection(RedisConnection dead) {
      if (connection == dead) {
        connection = null;
        List<Waiting> batch = inFlight;
        if (batch != null) {
          inFlight = null;
          vertx.cancelTimer(inFlightTimer);
          unreachable(batch, false);
        }
      }
    }

    private void loadScriptThenFlush(RedisConnection on) {
      List<Waiting> attempt = new ArrayList<>();
      inFlight = attempt;
      inFlightTimer =
          vertx.setTimer(
              Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)),
              id -> {
                if (inFlight == attempt) {
                  inFlight = null;
                  unreachable(attempt, true);
                }
              });
      on.send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(script))
          .onComplete(
              loaded ->
                  context.runOnContext(
                      v -> {
                        if (inFlight != attempt) {
                          return;
                        }
                        inFlight = null;
                        vertx.cancelTimer(inFlightTimer);
                        if (loaded.failed()) {
                          LOG.warnf(
                              "Loading the limits script into Redis failed: %s", loaded.cause());
                          unreachable(attempt, true);
                          return;
                        }
                        sha = loaded.result().toString();
                        flush();
                      }));
    }

    /** Live leases are renewed every third of their time to live, in one call per loop. */
    private void armRenewal() {
      if (renewTimer != -1) {
        return;
      }
      renewTimer =
          vertx.setTimer(
              Math.max(1, leaseTtlMs / 3),
              id -> {
                renewTimer = -1;
                if (liveLeases.isEmpty() || closed) {
                  return;
                }
                if (!down()) {
                  for (Map.Entry<String, String[]> lease : liveLeases.entrySet()) {
                    sideOps.add("N");
                    sideOps.add(Integer.toString(lease.getValue().length));
                    sideOps.add(lease.getKey());
                    for (String key : lease.getValue()) {
                      sideOps.add(key);
                    }
                  }
                  wake();
                }
                armRenewal();
              });
    }
  }

  private static String[] concurrencyKeys(Limits limits) {
    int n = limits.scopes.length - limits.windows;
    String[] keys = new String[n];
    for (int i = 0; i < n; i++) {
      keys[i] = limits.keys[limits.windows + i];
    }
    return keys;
  }
}
