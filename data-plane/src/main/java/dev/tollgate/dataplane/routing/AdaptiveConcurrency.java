package dev.tollgate.dataplane.routing;

import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.dataplane.config.ConfigReplica;
import dev.tollgate.dataplane.config.ConfigView;
import dev.tollgate.dataplane.routing.SharedLimitStore.Change;
import dev.tollgate.dataplane.routing.SharedLimitStore.Shared;
import dev.tollgate.dataplane.usage.UpstreamAttempt.Throttle;
import dev.tollgate.dataplane.usage.UsageMeter;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.usage.v1.AdjustmentReason;
import dev.tollgate.proto.usage.v1.ConcurrencyAdjustment;
import io.quarkus.runtime.Startup;
import io.vertx.core.Vertx;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Learns the concurrency limit of provider keys with {@code max_concurrent} 0, shared by every data
 * plane through {@link SharedLimitStore}.
 *
 * <p>Rules (all limits count requests in flight across data planes):
 *
 * <ul>
 *   <li>concurrency 429 → limit = max(floor(in_flight × 0.85), min-limit); unknown 429 → limit =
 *       max(floor(limit × 0.9), min-limit); an RPM 429 leaves it. A 429 never raises it, and
 *       further 429s within {@code decrease-debounce} of a decrease are one burst and lower it
 *       once.
 *   <li>every {@code sync-interval} a utilisation sample (in flight / limit) is taken; when at
 *       least {@code minimum-samples} of the last {@code sample-window} are kept and {@code
 *       high-sample-share} of them are ≥ {@code high-utilisation}, the limit rises by {@code
 *       increase-step} (cap {@code max-limit}), never within {@code increase-quiet-period} of a
 *       429.
 *   <li>after {@code probe-after} without a 429 and without a raise, while the key has demand, it
 *       rises by {@code probe-step}.
 *   <li>{@code learning_reset_at_unix_ms} newer than the shared state's → the learned state is
 *       discarded (limit back to {@code initial-limit}) and one {@code reset} adjustment reported.
 * </ul>
 *
 * Every change is reported once, by the data plane that made it, to {@link
 * UsageMeter#recordAdjustment}. A fixed limit ({@code max_concurrent} > 0) is read from the config
 * on every routing decision, so it applies at once and nothing is learned for it.
 *
 * <p>In flight: each data plane publishes its own count per provider key at each sync and reads the
 * others' (stale after three missed syncs), so "in flight" is this data plane's live count plus the
 * others' as of their last sync — no Redis call per request. While Redis is unreachable or slower
 * than {@code redis-timeout}, each data plane applies the same rules to its own learned state and
 * its own count, and takes the shared state back at the next successful sync.
 *
 * <p>Threads: the sync runs on a Vert.x timer (an event loop) and only sends asynchronous Redis
 * calls; 429s arrive on any event loop. Nothing here blocks.
 */
@Startup
@ApplicationScoped
public class AdaptiveConcurrency {

  private static final Logger LOG = Logger.getLogger(AdaptiveConcurrency.class);

  /** A key not used for this long is no longer synced (nothing to learn from, nothing to share). */
  private static final long IDLE_MS = 10 * 60_000L;

  private static final long LOG_INTERVAL_MS = 60_000L;

  private final ProviderKeyHealth health;
  private final ConfigReplica replica;
  private final SharedLimitStore store;
  private final UsageMeter meter;
  private final Vertx vertx;
  private final DataPlaneConfig.Adaptive rules;
  private long timer = -1;
  private volatile long lastFailureLogMs;

  AdaptiveConcurrency(
      ProviderKeyHealth health,
      ConfigReplica replica,
      SharedLimitStore store,
      UsageMeter meter,
      Vertx vertx,
      DataPlaneConfig config) {
    this.health = health;
    this.replica = replica;
    this.store = store;
    this.meter = meter;
    this.vertx = vertx;
    this.rules = config.routing().adaptive();
  }

  @PostConstruct
  void start() {
    health.onThrottle(this::throttled);
    timer = vertx.setPeriodic(rules.syncInterval().toMillis(), t -> syncAll());
  }

  @PreDestroy
  void stop() {
    if (timer != -1) {
      vertx.cancelTimer(timer);
    }
  }

  /** One sync round over every key in use (called by the timer; tests may call it directly). */
  void syncAll() {
    long now = System.currentTimeMillis();
    ConfigView view = replica.view();
    for (ProviderKeyState state : health.states()) {
      if (state.inFlight.get() > 0 || now - state.lastUsedMs < IDLE_MS) {
        // The newest copy, so a reset or a switch to a fixed limit is seen without traffic.
        ProviderKey current = view == null ? null : view.providerKey(state.id);
        if (current != null && current != state.config) {
          state.config = current;
        }
        sync(state);
      }
    }
  }

  private void sync(ProviderKeyState state) {
    ProviderKey config = state.config;
    boolean adaptive = config.getMaxConcurrent() <= 0;
    int local = state.inFlight.get();
    int start =
        clamp(
            config.getLearnedMaxConcurrent() > 0
                ? config.getLearnedMaxConcurrent()
                : rules.initialLimit());
    store
        .sync(
            state.id,
            adaptive,
            local,
            start,
            clamp(rules.initialLimit()),
            config.getLearningResetAtUnixMs())
        .onComplete(
            done -> {
              if (done.succeeded()) {
                synced(state, config, adaptive, local, done.result());
              } else {
                unsynced(state, config, adaptive, local, done.cause());
              }
            });
  }

  private void synced(
      ProviderKeyState state, ProviderKey config, boolean adaptive, int local, Shared shared) {
    state.remoteInFlight = shared.othersInFlight();
    if (!adaptive) {
      return;
    }
    int limit = Math.max(1, shared.limit());
    double utilisation = (local + shared.othersInFlight()) / (double) limit;
    state.resetAppliedAtMs = Math.max(state.resetAppliedAtMs, config.getLearningResetAtUnixMs());
    int before = state.limit(rules.initialLimit());
    state.learnedLimit = limit;
    if (shared.reset()) {
      state.clearSamples();
      // When the hash was missing (expired Redis data, a Redis restart) there is no shared limit
      // before the reset: the discarded limit is then this data plane's own.
      int discarded = shared.limitBeforeReset() > 0 ? shared.limitBeforeReset() : before;
      report(state.id, shared.nowMs(), discarded, limit, "reset", utilisation);
      return;
    }
    state.addSample(utilisation);
    String reason = raiseDue(state, shared.nowMs(), shared.last429Ms(), shared.lastIncreaseMs());
    if (reason != null) {
      raise(state, limit, step(reason), reason, utilisation);
    }
  }

  /** "increase", "probe", or null when neither rule allows a raise at {@code nowMs}. */
  private String raiseDue(ProviderKeyState state, long nowMs, long last429Ms, long lastIncreaseMs) {
    if (state.sustainedHigh(
        rules.minimumSamples(), rules.highUtilisation(), rules.highSampleShare())) {
      return nowMs - last429Ms >= rules.increaseQuietPeriod().toMillis() ? "increase" : null;
    }
    long probeAfter = rules.probeAfter().toMillis();
    if (state.hadDemand()
        && nowMs - last429Ms >= probeAfter
        && nowMs - lastIncreaseMs >= probeAfter) {
      return "probe";
    }
    return null;
  }

  private int step(String reason) {
    return reason.equals("increase") ? rules.increaseStep() : rules.probeStep();
  }

  private void raise(
      ProviderKeyState state, int limit, int step, String reason, double utilisation) {
    store
        .raise(state.id, limit, step, reason)
        .onSuccess(
            change -> {
              state.learnedLimit = change.newLimit();
              if (change.changed()) {
                state.clearSamples();
                state.lastIncreaseMs = System.currentTimeMillis();
                report(
                    state.id,
                    change.atMs(),
                    change.oldLimit(),
                    change.newLimit(),
                    reason,
                    utilisation);
              }
            })
        .onFailure(failure -> redisFailed(failure));
  }

  /** Redis unreachable: the same rules on this data plane's own state and count. */
  private void unsynced(
      ProviderKeyState state, ProviderKey config, boolean adaptive, int local, Throwable failure) {
    redisFailed(failure);
    state.remoteInFlight = 0;
    if (!adaptive) {
      return;
    }
    long now = System.currentTimeMillis();
    int limit = state.limit(rules.initialLimit());
    double utilisation = local / (double) limit;
    if (config.getLearningResetAtUnixMs() > state.resetAppliedAtMs) {
      state.resetAppliedAtMs = config.getLearningResetAtUnixMs();
      int initial = clamp(rules.initialLimit());
      state.learnedLimit = initial;
      state.last429Ms = 0;
      state.lastIncreaseMs = now;
      state.clearSamples();
      report(state.id, now, limit, initial, "reset", utilisation);
      return;
    }
    state.addSample(utilisation);
    String reason = raiseDue(state, now, state.last429Ms, state.lastIncreaseMs);
    if (reason != null) {
      raiseLocally(state, limit, step(reason), reason, utilisation, now);
    }
  }

  private void raiseLocally(
      ProviderKeyState state, int limit, int step, String reason, double utilisation, long now) {
    int raised = Math.min(limit + step, rules.maxLimit());
    if (raised == limit) {
      return;
    }
    state.learnedLimit = raised;
    state.lastIncreaseMs = now;
    state.clearSamples();
    report(state.id, now, limit, raised, reason, utilisation);
  }

  /** An upstream 429 of {@code state}'s key (its cooldown is already set). */
  void throttled(ProviderKeyState state, Throttle throttle) {
    if (!state.adaptive() || throttle == Throttle.NONE) {
      return;
    }
    int inFlight = state.totalInFlight();
    int limit = state.limit(rules.initialLimit());
    double utilisation = inFlight / (double) Math.max(1, limit);
    String reason = throttle == Throttle.CONCURRENCY ? "concurrency_429" : "unknown_429";
    state.clearSamples();
    store
        .throttled(state.id, throttle.wireName, inFlight, limit)
        .onComplete(
            done -> {
              if (done.succeeded()) {
                Change change = done.result();
                state.learnedLimit = change.newLimit();
                if (change.changed()) {
                  report(
                      state.id,
                      change.atMs(),
                      change.oldLimit(),
                      change.newLimit(),
                      reason,
                      utilisation);
                }
                return;
              }
              redisFailed(done.cause());
              decreaseLocally(state, throttle, inFlight, limit, reason, utilisation);
            });
  }

  private void decreaseLocally(
      ProviderKeyState state,
      Throttle throttle,
      int inFlight,
      int limit,
      String reason,
      double utilisation) {
    long now = System.currentTimeMillis();
    if (throttle == Throttle.RPM
        || now - state.lastDecreaseMs < rules.decreaseDebounce().toMillis()) {
      return;
    }
    int lowered = decreased(throttle, inFlight, limit, rules.minLimit());
    if (lowered == limit) {
      return;
    }
    state.learnedLimit = lowered;
    state.lastDecreaseMs = now;
    report(state.id, now, limit, lowered, reason, utilisation);
  }

  /** The limit after a 429 of {@code throttle} (the rule the Lua script applies in Redis). */
  static int decreased(Throttle throttle, int inFlight, int limit, int minLimit) {
    int lowered =
        switch (throttle) {
          case CONCURRENCY -> (int) Math.floor(inFlight * 0.85);
          case UNKNOWN -> (int) Math.floor(limit * 0.9);
          default -> limit;
        };
    return Math.min(limit, Math.max(lowered, minLimit));
  }

  private void report(
      long providerKeyId, long atMs, int oldLimit, int newLimit, String reason, double util) {
    LOG.debugf(
        "Provider key %d: learned limit %d -> %d (%s, utilisation %.2f)",
        providerKeyId, oldLimit, newLimit, reason, util);
    meter.recordAdjustment(
        ConcurrencyAdjustment.newBuilder()
            .setProviderKeyId(providerKeyId)
            .setAtUnixMs(atMs)
            .setOldLimit(oldLimit)
            .setNewLimit(newLimit)
            .setReason(wireReason(reason))
            .setUtilisation(util)
            .build());
  }

  /** The contract's value for a reason named as in Redis and the logs. */
  static AdjustmentReason wireReason(String reason) {
    return switch (reason) {
      case "concurrency_429" -> AdjustmentReason.ADJUSTMENT_REASON_CONCURRENCY_429;
      case "unknown_429" -> AdjustmentReason.ADJUSTMENT_REASON_UNKNOWN_429;
      case "increase" -> AdjustmentReason.ADJUSTMENT_REASON_INCREASE;
      case "probe" -> AdjustmentReason.ADJUSTMENT_REASON_PROBE;
      case "reset" -> AdjustmentReason.ADJUSTMENT_REASON_RESET;
      default -> throw new IllegalArgumentException("no adjustment reason " + reason);
    };
  }

  private void redisFailed(Throwable failure) {
    long now = System.currentTimeMillis();
    if (now - lastFailureLogMs >= LOG_INTERVAL_MS) {
      lastFailureLogMs = now;
      LOG.warnf(
          "Adaptive concurrency: Redis unavailable (%s); using this data plane's own state",
          failure.toString());
    }
  }

  private int clamp(int limit) {
    return Math.max(rules.minLimit(), Math.min(rules.maxLimit(), limit));
  }
}
