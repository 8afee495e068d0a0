package dev.tollgate.dataplane.routing;

import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.dataplane.ratelimit.RedisKeys;
import dev.tollgate.dataplane.ratelimit.RedisTopology;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

/**
 * {@link SharedLimitStore} in one Redis hash per provider key, {@code tg:adaptive:pk:<id>} (fields
 * in docs/redis-keys.md), updated only by the Lua scripts next to this class so that concurrent
 * data planes never lose an update and every time is Redis {@code TIME}.
 *
 * <p>Scripts are sent with EVAL: they are a few hundred bytes, run about once a second per busy
 * provider key, and EVAL needs no NOSCRIPT recovery after a Redis restart.
 */
@ApplicationScoped
public class RedisSharedLimitStore implements SharedLimitStore {

  /** The hash of a provider key's shared adaptive state. */
  static String key(long providerKeyId) {
    return RedisKeys.adaptiveProviderKey(providerKeyId);
  }

  private static final String SYNC = script("adaptive-sync.lua");
  private static final String THROTTLED = script("adaptive-throttled.lua");
  private static final String RAISE = script("adaptive-raise.lua");

  private final Redis redis;
  private final Vertx vertx;
  private final String instanceId = UUID.randomUUID().toString();
  private final long timeoutMs;
  private final long staleMs;
  private final DataPlaneConfig.Adaptive rules;

  @Inject
  RedisSharedLimitStore(Vertx vertx, DataPlaneConfig config) {
    // Its own small client on tollgate.redis.url (the Redis of the limits): about one call per
    // second per busy provider key, kept apart from the rate limiter's batched hot-path pool.
    this(
        Redis.createClient(
            vertx, RedisTopology.options(config.redis()).setMaxPoolSize(2).setMaxPoolWaiting(256)),
        vertx,
        config);
  }

  RedisSharedLimitStore(Redis redis, Vertx vertx, DataPlaneConfig config) {
    this.redis = redis;
    this.vertx = vertx;
    this.rules = config.routing().adaptive();
    this.timeoutMs = rules.redisTimeout().toMillis();
    // Three missed syncs: the other data plane is gone (or cut off) and its count no longer holds.
    this.staleMs = 3 * rules.syncInterval().toMillis();
  }

  @PreDestroy
  void close() {
    redis.close();
  }

  @Override
  public Future<Shared> sync(
      long providerKeyId,
      boolean adaptive,
      int localInFlight,
      int startLimit,
      int initialLimit,
      long resetAtMs) {
    return eval(
            SYNC,
            key(providerKeyId),
            instanceId,
            Integer.toString(localInFlight),
            Integer.toString(startLimit),
            Integer.toString(initialLimit),
            Long.toString(resetAtMs),
            Long.toString(staleMs),
            adaptive ? "1" : "0")
        .map(
            r ->
                new Shared(
                    r.get(0).toInteger(),
                    r.get(1).toInteger(),
                    r.get(2).toLong(),
                    r.get(3).toLong(),
                    r.get(4).toLong(),
                    r.get(5).toInteger() == 1,
                    r.get(6).toInteger()));
  }

  @Override
  public Future<Change> throttled(long providerKeyId, String kind, int inFlight, int currentLimit) {
    return eval(
            THROTTLED,
            key(providerKeyId),
            kind,
            Integer.toString(inFlight),
            Integer.toString(rules.minLimit()),
            Integer.toString(currentLimit),
            Long.toString(rules.decreaseDebounce().toMillis()))
        .map(RedisSharedLimitStore::change);
  }

  @Override
  public Future<Change> raise(long providerKeyId, int expected, int step, String reason) {
    return eval(
            RAISE,
            key(providerKeyId),
            Integer.toString(expected),
            Integer.toString(step),
            Integer.toString(rules.maxLimit()),
            reason,
            Long.toString(rules.increaseQuietPeriod().toMillis()),
            Long.toString(rules.probeAfter().toMillis()))
        .map(RedisSharedLimitStore::change);
  }

  private static Change change(Response r) {
    return new Change(r.get(0).toInteger(), r.get(1).toInteger(), r.get(2).toLong());
  }

  /** EVAL with one key, failed after the Redis timeout whatever Redis does. */
  private Future<Response> eval(String script, String key, String... args) {
    Request request = Request.cmd(Command.EVAL).arg(script).arg(1).arg(key);
    for (String arg : args) {
      request.arg(arg);
    }
    Promise<Response> result = Promise.promise();
    long timer =
        vertx.setTimer(
            timeoutMs,
            t ->
                result.tryFail(
                    new TimeoutException("Redis did not answer within " + timeoutMs + " ms")));
    redis
        .send(request)
        .onComplete(
            answer -> {
              vertx.cancelTimer(timer);
              if (answer.succeeded()) {
                result.tryComplete(answer.result());
              } else {
                result.tryFail(answer.cause());
              }
            });
    return result.future();
  }

  private static String script(String name) {
    try (InputStream in = RedisSharedLimitStore.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing Lua script " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("unreadable Lua script " + name, e);
    }
  }
}
