package dev.tollgate.dataplane.config;

import dev.tollgate.dataplane.ControlPlaneChannel;
import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.proto.config.v1.ConfigChange;
import dev.tollgate.proto.config.v1.ConfigServiceGrpc;
import dev.tollgate.proto.config.v1.GetSnapshotRequest;
import dev.tollgate.proto.config.v1.SnapshotEnd;
import dev.tollgate.proto.config.v1.SnapshotPart;
import dev.tollgate.proto.config.v1.WatchRequest;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Keeps {@link ConfigReplica} in step with the control plane: a streamed GetSnapshot until one
 * succeeds, then Watch from its revision, for the life of the process.
 *
 * <p>Every state change runs on one scheduler thread ({@code tollgate-config}); gRPC callbacks hop
 * onto it, so the replica has a single writer and no locks are needed here. The one exception is a
 * snapshot's chunks: they are added to the view being built on the call's own callback thread (gRPC
 * delivers them one at a time, and only asks the control plane for the next once one is handled,
 * which keeps a million keys from piling up in a queue), and only the finished view hops to the
 * scheduler to be swapped in.
 *
 * <p>Stuck stream: when what the control plane sends cannot be applied ({@link StuckReason}: a
 * message over {@code max-inbound-message-bytes}, a view update that throws, a change that does not
 * follow the revision served, a snapshot that does not end or does not add up), the replica is
 * marked stuck (metric, readiness details), keeps serving its last view, and loads a new snapshot
 * with the usual backoff, until one loads. A control plane that is merely unreachable is not
 * "stuck": the stream is reopened, as before.
 */
@ApplicationScoped
public class ConfigWatchClient {

  private static final Logger LOG = Logger.getLogger(ConfigWatchClient.class);

  /** Codes meaning "this stream cannot be resumed from that revision": reload the snapshot. */
  private static final Set<Status.Code> RESNAPSHOT =
      Set.of(
          Status.Code.OUT_OF_RANGE,
          Status.Code.FAILED_PRECONDITION,
          Status.Code.INVALID_ARGUMENT,
          Status.Code.NOT_FOUND,
          Status.Code.DATA_LOSS);

  private final ConfigReplica replica;
  private final ControlPlaneChannel channel;
  private final ConfigServiceGrpc.ConfigServiceStub stub;
  private final DataPlaneConfig.Replica settings;
  private final MeterRegistry registry;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "tollgate-config");
            t.setDaemon(true);
            return t;
          });

  private long backoffMs;
  // Identifies the live snapshot or Watch call; callbacks from a call that was replaced are
  // ignored.
  private long watchGeneration;
  private ClientCallStreamObserver<WatchRequest> watchCall;
  private long lastMessageNanos;
  // Parts of a change set whose last part has not arrived yet.
  private final List<ConfigChange> pending = new ArrayList<>();
  private volatile boolean stopped;

  ConfigWatchClient(
      ConfigReplica replica,
      ControlPlaneChannel channel,
      DataPlaneConfig config,
      MeterRegistry registry) {
    this.replica = replica;
    this.channel = channel;
    this.settings = config.replica();
    this.registry = registry;
    this.stub =
        ConfigServiceGrpc.newStub(channel.channel())
            .withMaxInboundMessageSize(settings.maxInboundMessageBytes());
    this.backoffMs = settings.retryMinBackoff().toMillis();
  }

  void onStart(@Observes StartupEvent event) {
    // Asynchronous on purpose: the HTTP server (liveness) comes up even while the CP is down;
    // readiness stays DOWN until the snapshot is in.
    scheduler.execute(this::loadSnapshot);
    long checkMs = Math.max(100, settings.watchSilenceTimeout().toMillis() / 3);
    scheduler.scheduleWithFixedDelay(this::checkSilence, checkMs, checkMs, TimeUnit.MILLISECONDS);
  }

  void onStop(@Observes ShutdownEvent event) {
    stopped = true;
    scheduler.execute(
        () -> {
          if (watchCall != null) {
            watchCall.cancel("data plane shutting down", null);
          }
        });
    scheduler.shutdown();
  }

  private void loadSnapshot() {
    if (stopped) {
      return;
    }
    long generation = ++watchGeneration;
    pending.clear();
    stub.withDeadlineAfter(settings.snapshotTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .getSnapshot(GetSnapshotRequest.getDefaultInstance(), new SnapshotCall(generation));
  }

  /** One GetSnapshot stream: builds a view off to the side, handed over only when complete. */
  private final class SnapshotCall
      implements ClientResponseObserver<GetSnapshotRequest, SnapshotPart> {
    private final long generation;
    private ClientCallStreamObserver<GetSnapshotRequest> call;
    private ConfigView.Builder building;
    private long chunks;
    private boolean done;

    SnapshotCall(long generation) {
      this.generation = generation;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<GetSnapshotRequest> requestStream) {
      this.call = requestStream;
    }

    @Override
    public void onNext(SnapshotPart part) {
      if (done) {
        return;
      }
      try {
        switch (part.getPartCase()) {
          case BEGIN -> {
            if (building != null) {
              abandon(StuckReason.SNAPSHOT_INCOMPLETE, "a second begin in one snapshot");
              return;
            }
            building = new ConfigView.Builder(part.getBegin().getRevision());
          }
          case CHUNK -> {
            if (building == null) {
              abandon(StuckReason.SNAPSHOT_INCOMPLETE, "a chunk before begin");
              return;
            }
            building.add(part.getChunk());
            chunks++;
          }
          case END -> {
            String mismatch =
                building == null ? "end before begin" : building.mismatch(part.getEnd());
            if (mismatch == null && part.getEnd().getChunks() != chunks) {
              mismatch = "end counts " + part.getEnd().getChunks() + " chunks, received " + chunks;
            }
            if (mismatch != null) {
              abandon(StuckReason.SNAPSHOT_INCOMPLETE, mismatch);
              return;
            }
            done = true;
            ConfigView view = building.build();
            building = null;
            onScheduler(() -> snapshotLoaded(generation, view, part.getEnd()));
          }
          default -> abandon(StuckReason.SNAPSHOT_INCOMPLETE, "an empty snapshot part");
        }
      } catch (RuntimeException e) {
        abandon(StuckReason.APPLY_FAILED, "building the snapshot view failed: " + e);
      }
    }

    private void abandon(StuckReason reason, String detail) {
      done = true;
      building = null;
      call.cancel(detail, null);
      onScheduler(() -> snapshotFailed(generation, reason, detail));
    }

    @Override
    public void onError(Throwable t) {
      if (done) {
        return;
      }
      done = true;
      boolean began = building != null;
      building = null;
      Status status = Status.fromThrowable(t);
      StuckReason reason = null;
      if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
        reason = StuckReason.MESSAGE_TOO_LARGE;
      } else if (began && status.getCode() != Status.Code.UNAVAILABLE) {
        // The control plane was streaming it; anything but losing the connection means this
        // snapshot cannot be finished (a deadline here is a snapshot that never ends).
        reason = StuckReason.SNAPSHOT_INCOMPLETE;
      }
      StuckReason stuck = reason;
      onScheduler(() -> snapshotFailed(generation, stuck, status.toString()));
    }

    @Override
    public void onCompleted() {
      if (!done) {
        done = true;
        building = null;
        onScheduler(
            () ->
                snapshotFailed(
                    generation, StuckReason.SNAPSHOT_INCOMPLETE, "the stream ended without end"));
      }
    }
  }

  private void snapshotLoaded(long generation, ConfigView view, SnapshotEnd end) {
    if (generation != watchGeneration || stopped) {
      return;
    }
    replica.replace(view);
    if (replica.stuckState() != null) {
      LOG.infof("Config stream flows again at revision %d", view.revision());
    }
    replica.unstuck();
    LOG.infof(
        "Config snapshot loaded at revision %d: %d keys, %d provider groups, %d provider keys in %d"
            + " chunks",
        view.revision(),
        end.getKeys(),
        end.getProviderGroups(),
        end.getProviderKeys(),
        end.getChunks());
    backoffMs = settings.retryMinBackoff().toMillis();
    openWatch();
  }

  private void snapshotFailed(long generation, StuckReason stuck, String detail) {
    if (generation != watchGeneration || stopped) {
      return;
    }
    if (stuck != null) {
      markStuck(stuck, "snapshot: " + detail);
      LOG.warnf(
          "Config snapshot cannot be applied (%s: %s); reloading it in %d ms",
          stuck.tag(), detail, backoffMs);
    } else {
      LOG.warnf(
          "Config snapshot from the control plane failed (%s); retrying in %d ms",
          detail, backoffMs);
    }
    retryLater(this::loadSnapshot);
  }

  private void openWatch() {
    if (stopped) {
      return;
    }
    long generation = ++watchGeneration;
    pending.clear();
    long after = replica.view().revision();
    lastMessageNanos = System.nanoTime();
    stub.watch(
        WatchRequest.newBuilder().setAfterRevision(after).build(),
        new ClientResponseObserver<WatchRequest, ConfigChange>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<WatchRequest> call) {
            onScheduler(
                () -> {
                  if (generation == watchGeneration) {
                    watchCall = call;
                  } else {
                    call.cancel("superseded", null);
                  }
                });
          }

          @Override
          public void onNext(ConfigChange change) {
            onScheduler(() -> changeReceived(generation, change));
          }

          @Override
          public void onError(Throwable t) {
            onScheduler(() -> watchEnded(generation, Status.fromThrowable(t)));
          }

          @Override
          public void onCompleted() {
            onScheduler(() -> watchEnded(generation, Status.UNAVAILABLE));
          }
        });
  }

  private void changeReceived(long generation, ConfigChange change) {
    if (generation != watchGeneration) {
      return;
    }
    lastMessageNanos = System.nanoTime();
    backoffMs = settings.retryMinBackoff().toMillis();
    ConfigView current = replica.view();
    ConfigChange first = pending.isEmpty() ? change : pending.get(0);
    if (change.getAfterRevision() != current.revision()
        || change.getRevision() != first.getRevision()
        || change.getAfterRevision() != first.getAfterRevision()) {
      resnapshotStuck(
          StuckReason.REVISION_GAP,
          "change "
              + change.getAfterRevision()
              + ".."
              + change.getRevision()
              + " does not follow revision "
              + current.revision()
              + (pending.isEmpty() ? "" : " (in a change set to " + first.getRevision() + ")"));
      return;
    }
    pending.add(change);
    if (change.getContinued()) {
      return;
    }
    ConfigView next;
    try {
      next = current.apply(pending);
    } catch (RuntimeException e) {
      resnapshotStuck(
          StuckReason.APPLY_FAILED, "change to revision " + change.getRevision() + ": " + e);
      return;
    }
    int parts = pending.size();
    pending.clear();
    replica.replace(next);
    if (ConfigView.hasEntities(change) || parts > 1) {
      LOG.debugf("Config change applied at revision %d (%d parts)", change.getRevision(), parts);
    }
  }

  /** Leaves the Watch stream, marks the replica stuck and reloads the snapshot after a backoff. */
  private void resnapshotStuck(StuckReason reason, String detail) {
    watchGeneration++;
    pending.clear();
    if (watchCall != null) {
      watchCall.cancel("config stream cannot be applied: " + reason.tag(), null);
      watchCall = null;
    }
    markStuck(reason, detail);
    LOG.warnf(
        "Config stream cannot be applied (%s: %s); serving revision %d, reloading the snapshot in"
            + " %d ms",
        reason.tag(), detail, replica.view().revision(), backoffMs);
    retryLater(this::loadSnapshot);
  }

  private void markStuck(StuckReason reason, String detail) {
    replica.stuck(reason, detail);
    Counter.builder("tollgate.config.apply.failures")
        .description("Config stream messages or snapshots this replica could not apply")
        .tag("reason", reason.tag())
        .register(registry)
        .increment();
  }

  private void watchEnded(long generation, Status status) {
    if (generation != watchGeneration || stopped) {
      return;
    }
    watchCall = null;
    pending.clear();
    if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
      markStuck(StuckReason.MESSAGE_TOO_LARGE, "watch: " + status);
      LOG.warnf(
          "Config Watch message cannot be received (%s); reloading the snapshot in %d ms",
          status, backoffMs);
      retryLater(this::loadSnapshot);
    } else if (RESNAPSHOT.contains(status.getCode())) {
      LOG.warnf("Config Watch refused (%s); reloading the snapshot in %d ms", status, backoffMs);
      retryLater(this::loadSnapshot);
    } else {
      LOG.warnf(
          "Config Watch ended (%s); serving revision %d, reconnecting in %d ms",
          status, replica.view().revision(), backoffMs);
      retryLater(this::openWatch);
    }
  }

  private void checkSilence() {
    if (watchCall == null) {
      return;
    }
    long silentMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastMessageNanos);
    if (silentMs > settings.watchSilenceTimeout().toMillis()) {
      // A half-open connection delivers nothing and reports nothing; cancelling surfaces it as an
      // error, and watchEnded reopens the stream.
      LOG.warnf("Config Watch silent for %d ms; reopening it", silentMs);
      watchCall.cancel("no message or heartbeat within the silence timeout", null);
    }
  }

  /** gRPC callbacks can still arrive after shutdown stopped the scheduler; they are moot then. */
  private void onScheduler(Runnable task) {
    try {
      scheduler.execute(task);
    } catch (RejectedExecutionException stopping) {
      LOG.debug("Config callback after shutdown ignored");
    }
  }

  private void retryLater(Runnable attempt) {
    if (stopped) {
      return;
    }
    long delay = backoffMs / 2 + ThreadLocalRandom.current().nextLong(backoffMs / 2 + 1);
    backoffMs = Math.min(backoffMs * 2, settings.retryMaxBackoff().toMillis());
    scheduler.schedule(
        () -> {
          channel.reconnectNow();
          attempt.run();
        },
        delay,
        TimeUnit.MILLISECONDS);
  }
}
