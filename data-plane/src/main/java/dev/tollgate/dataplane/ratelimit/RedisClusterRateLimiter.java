package dev.tollgate.dataplane.ratelimit;

import dev.tollgate.dataplane.DataPlaneConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.impl.types.ErrorType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * {@link RateLimiter} on a Redis Cluster, with the same script ({@code limits.lua}) as {@link
 * RedisRateLimiter} but one call per hash slot a request touches.
 *
 * <p>Why two steps: a script may only touch keys of one slot. With the hash-tagged keys of {@link
 * RedisKeys#CLUSTER} every scope of the key's owner (key and user RPM, the (user, group) override,
 * key TPM, key and user leases) is in the user's slot, so an admission without a group RPM limit is
 * one atomic call, exactly as on one server. Only the provider group's RPM window, shared by many
 * users, lies in a slot of its own. Such an admission takes the group's window first (one counter:
 * the cheapest thing to give back), then the owner's scopes; when the owner's scopes refuse, the
 * group's count is taken back ({@code D}: decrement that very minute's window, never below 0). So a
 * refused request counts against no scope, and decisions stay exact across data planes: every step
 * is atomic in its slot, and between the two steps another request can only see the group's window
 * one higher than it ends, which refuses it only if the window was at its limit anyway.
 *
 * <p>What a crash leaves: a data plane that dies (or loses Redis) between the steps leaves the
 * group's window over by one request until that minute ends (its key expires 120 s after it was
 * first written); leases it took expire after {@code tollgate.redis.lease-ttl}. Nothing else.
 *
 * <p>Time bound and fail mode as on one server: each admission gets {@code tollgate.redis.timeout}
 * from its arrival; then the fail mode decides. A step that succeeds after that is kept when the
 * fail mode admitted the request (it runs, and its completion releases its leases) and rolled back
 * when it refused it. A call that cannot reach a node makes the fail mode decide at once for {@code
 * tollgate.redis.reconnect-interval}. Releases that fail are retried until their lease would have
 * expired anyway; TPM charges and renewals that fail are dropped, as on one server.
 *
 * <p>Threads: {@link #admit} and {@link #complete} run on the request's event loop; answers hop
 * back to that loop's context before deciding, so {@code done} runs there. The lease table is
 * concurrent (renewals run on a timer); nothing blocks.
 */
public class RedisClusterRateLimiter implements RateLimiter {

  private static final Logger LOG = Logger.getLogger(RedisClusterRateLimiter.class);

  private final Vertx vertx;
  private final Redis redis;
  private final String script;
  private final String sha;
  private final RedisFailMode failMode;
  private final long timeoutMs;
  private final long leaseTtlMs;
  private final long reconnectNanos;
  private final String leasePrefix = UUID.randomUUID().toString().substring(0, 8) + ":";
  private final AtomicLong nextLease = new AtomicLong();
  private final Map<String, String[]> liveLeases = new ConcurrentHashMap<>();
  private final long renewTimer;
  private volatile long downUntilNanos;
  private volatile boolean closed;

  /** A limiter on the Redis Cluster of {@code settings}. */
  public RedisClusterRateLimiter(
      Vertx vertx, DataPlaneConfig.Redis settings, MeterRegistry registry) {
    this.vertx = vertx;
    this.timeoutMs = settings.timeout().toMillis();
    this.leaseTtlMs = settings.leaseTtl().toMillis();
    this.reconnectNanos = settings.reconnectInterval().toNanos();
    if (timeoutMs <= 0 || leaseTtlMs < 3) {
      throw new IllegalArgumentException("tollgate.redis.timeout and lease-ttl must be positive");
    }
    this.script = RedisRateLimiter.loadScript();
    this.sha = sha1(script);
    this.failMode = new RedisFailMode(settings, registry);
    this.redis =
        Redis.createClient(
            vertx,
            RedisTopology.options(settings)
                .setMaxPoolSize(Math.max(8, 4 * Runtime.getRuntime().availableProcessors()))
                .setMaxPoolWaiting(1024));
    this.renewTimer = vertx.setPeriodic(Math.max(1, leaseTtlMs / 3), id -> renew());
  }

  @Override
  public void close() {
    closed = true;
    vertx.cancelTimer(renewTimer);
    redis.close();
  }

  @Override
  public void admit(Limits limits, Handler<Decision> done) {
    if (limits.none()) {
      done.handle(Decision.UNLIMITED);
      return;
    }
    String lease = limits.leases() ? leasePrefix + nextLease.incrementAndGet() : null;
    if (down()) {
      done.handle(failMode.decide(limits, lease));
      return;
    }
    Context context = Vertx.currentContext();
    if (context == null) {
      throw new IllegalStateException("the rate limiter is called on event loops only");
    }
    new Admission(context, limits, lease, done).start();
  }

  @Override
  public void complete(Decision decision, long totalTokens) {
    if (decision.limits == null) {
      return;
    }
    if (decision.lease != null) {
      String[] keys = liveLeases.remove(decision.lease);
      if (keys == null) {
        keys = concurrencyKeys(decision.limits.part(false));
      }
      release(decision.lease, keys, System.nanoTime());
    }
    String tpm = decision.limits.tpmCharge;
    if (tpm != null && totalTokens > 0 && !down()) {
      call(tpm, List.of("C", tpm, Long.toString(totalTokens)))
          .onFailure(e -> LOG.debugf("TPM charge lost: %s", e));
    }
  }

  private boolean down() {
    long until = downUntilNanos;
    return until != 0 && System.nanoTime() - until < 0;
  }

  /**
   * Releases a lease from its sets (all in its user's slot); a failed release is tried again, until
   * the lease would have expired on its own.
   */
  private void release(String lease, String[] keys, long since) {
    if (keys.length == 0 || closed) {
      return;
    }
    List<String> args = new ArrayList<>(keys.length + 3);
    args.add("R");
    args.add(Integer.toString(keys.length));
    args.add(lease);
    args.addAll(List.of(keys));
    call(keys[0], args)
        .onFailure(
            e -> {
              long retryMs = Math.max(100, TimeUnit.NANOSECONDS.toMillis(reconnectNanos));
              if (System.nanoTime() - since + TimeUnit.MILLISECONDS.toNanos(retryMs)
                  < TimeUnit.MILLISECONDS.toNanos(leaseTtlMs)) {
                vertx.setTimer(retryMs, id -> release(lease, keys, since));
              }
            });
  }

  /** Renews every live lease, one call per user slot. */
  private void renew() {
    if (liveLeases.isEmpty() || closed || down()) {
      return;
    }
    Map<String, List<String>> bySlot = new HashMap<>();
    for (Map.Entry<String, String[]> lease : liveLeases.entrySet()) {
      String[] keys = lease.getValue();
      List<String> args = bySlot.computeIfAbsent(keys[0], k -> new ArrayList<>());
      args.add("N");
      args.add(Integer.toString(keys.length));
      args.add(lease.getKey());
      args.addAll(List.of(keys));
    }
    bySlot.forEach(
        (route, args) -> call(route, args).onFailure(e -> LOG.debugf("Lease renewal lost: %s", e)));
  }

  /**
   * One run of {@code limits.lua} with the operations {@code ops}, sent to the node serving {@code
   * routeKey}'s slot: every key the operations touch must be in that slot. The script is run by its
   * SHA-1; a node that does not have it yet (new, restarted, failed over) gets the whole script.
   */
  private Future<Response> call(String routeKey, List<String> ops) {
    return redis
        .send(script(Command.EVALSHA, sha, routeKey, ops))
        .recover(
            e -> {
              if (e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT")) {
                return redis.send(script(Command.EVAL, script, routeKey, ops));
              }
              return Future.failedFuture(e);
            })
        .onFailure(
            e -> {
              if (!(e instanceof ErrorType)) {
                // The node did not take the call (connection refused or lost): leave the cluster
                // alone for a moment rather than make every request wait for its timeout.
                downUntilNanos = System.nanoTime() + reconnectNanos;
              }
            });
  }

  private Request script(Command command, String body, String routeKey, List<String> ops) {
    Request request = Request.cmd(command).arg(body).arg(1).arg(routeKey).arg(leaseTtlMs);
    for (String op : ops) {
      request.arg(op);
    }
    return request;
  }

  /** The operations that admit {@code part} as one request (see {@code limits.lua}). */
  private static List<String> admitOps(Limits part, String lease) {
    List<String> ops = new ArrayList<>(5 + 2 * part.scopes.length);
    ops.add("A");
    ops.add(Integer.toString(part.windows));
    ops.add(Integer.toString(part.rpmWindows));
    ops.add(Integer.toString(part.scopes.length - part.windows));
    ops.add(lease == null ? "-" : lease);
    for (int i = 0; i < part.scopes.length; i++) {
      ops.add(part.keys[i]);
      ops.add(Long.toString(part.limits[i]));
    }
    return ops;
  }

  private static String[] concurrencyKeys(Limits part) {
    int n = part.scopes.length - part.windows;
    String[] keys = new String[n];
    System.arraycopy(part.keys, part.windows, keys, 0, n);
    return keys;
  }

  private static String sha1(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is part of every JRE", e);
    }
  }

  /**
   * One request's way through the slots it touches: the group's window, then the owner's scopes.
   * Confined to the request's context (answers hop back to it).
   */
  private final class Admission {
    private final Context context;
    private final Limits limits;
    private final Limits group;
    private final Limits owner;
    private final String lease;
    private final Handler<Decision> done;
    private long timer = -1;
    private Decision decision;
    private long groupMinute = -1;
    private long ownerMinute = -1;

    Admission(Context context, Limits limits, String lease, Handler<Decision> done) {
      this.context = context;
      this.limits = limits;
      this.group = limits.part(true);
      this.owner = limits.part(false);
      this.lease = lease;
      this.done = done;
    }

    void start() {
      timer = vertx.setTimer(timeoutMs, id -> context.runOnContext(v -> timedOut()));
      if (group.none()) {
        ownerStep();
      } else {
        step(group, null, this::groupAnswered);
      }
    }

    private void step(Limits part, String partLease, Handler<Response> answered) {
      call(part.keys[0], admitOps(part, partLease))
          .onComplete(
              result ->
                  context.runOnContext(
                      v -> {
                        if (result.failed()) {
                          failed(result.cause());
                        } else {
                          answered.handle(result.result());
                        }
                      }));
    }

    private void groupAnswered(Response reply) {
      int refused = reply.get(1).toInteger();
      if (refused != 0) {
        refuse(group, refused, reply.get(2).toLong());
        return;
      }
      groupMinute = reply.get(0).toLong();
      if (decision != null) {
        lateStep();
      } else if (owner.none()) {
        admitted();
      } else {
        ownerStep();
      }
    }

    private void ownerStep() {
      step(owner, lease, this::ownerAnswered);
    }

    private void ownerAnswered(Response reply) {
      int refused = reply.get(1).toInteger();
      if (refused != 0) {
        rollBack();
        refuse(owner, refused, reply.get(2).toLong());
        return;
      }
      ownerMinute = reply.get(0).toLong();
      if (decision != null) {
        lateStep();
      } else {
        admitted();
      }
    }

    private void admitted() {
      if (lease != null) {
        liveLeases.put(lease, concurrencyKeys(owner));
      }
      decide(new Decision(true, null, 0, false, limits, lease));
    }

    private void refuse(Limits part, int refused, long retryMs) {
      if (decision == null) {
        decide(
            new Decision(
                false,
                part.scopes[refused - 1],
                Math.max(1, (retryMs + 999) / 1000),
                false,
                null,
                null));
      }
    }

    private void failed(Throwable cause) {
      LOG.debugf("Redis Cluster limits call failed: %s", cause);
      if (decision == null) {
        decide(failMode.decide(limits, lease));
      }
      if (!decision.admitted()) {
        rollBack();
      }
    }

    private void timedOut() {
      if (decision == null) {
        LOG.debugf("Redis Cluster limits call unanswered after %d ms", timeoutMs);
        decide(failMode.decide(limits, lease));
      }
    }

    /**
     * A step that succeeded after the fail mode decided: an admitted request keeps it (its
     * completion releases its leases); a refused one must not count, so it is taken back.
     */
    private void lateStep() {
      if (!decision.admitted()) {
        rollBack();
      }
    }

    /** Takes back every step this admission got, each in its own slot. */
    private void rollBack() {
      if (groupMinute >= 0) {
        call(group.keys[0], undoOps(group, groupMinute, null))
            .onFailure(e -> LOG.debugf("Roll-back of a group count lost: %s", e));
        groupMinute = -1;
      }
      if (ownerMinute >= 0) {
        call(owner.keys[0], undoOps(owner, ownerMinute, lease))
            .onFailure(e -> LOG.debugf("Roll-back of an owner count lost: %s", e));
        ownerMinute = -1;
      }
    }

    private List<String> undoOps(Limits part, long minute, String partLease) {
      List<String> ops = new ArrayList<>();
      for (int i = 0; i < part.rpmWindows; i++) {
        ops.add("D");
        ops.add(part.keys[i]);
        ops.add(Long.toString(minute));
      }
      String[] leased = concurrencyKeys(part);
      if (partLease != null && leased.length > 0) {
        ops.add("R");
        ops.add(Integer.toString(leased.length));
        ops.add(partLease);
        ops.addAll(List.of(leased));
      }
      return ops;
    }

    private void decide(Decision decided) {
      decision = decided;
      vertx.cancelTimer(timer);
      done.handle(decided);
    }
  }
}
