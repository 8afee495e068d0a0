package dev.tollgate.dataplane.config;

import dev.tollgate.dataplane.ControlPlaneChannel;
import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.proto.config.v1.ConfigChange;
import dev.tollgate.proto.config.v1.ConfigServiceGrpc;
import dev.tollgate.proto.config.v1.GetSnapshotRequest;
import dev.tollgate.proto.config.v1.Snapshot;
import dev.tollgate.proto.config.v1.WatchRequest;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Keeps {@link ConfigReplica} in step with the control plane: GetSnapshot until one succeeds, then
 * Watch from its revision, for the life of the process.
 *
 * <p>Every state change runs on one scheduler thread ({@code tollgate-config}); gRPC callbacks hop
 * onto it, so the replica has a single writer and no locks are needed here.
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
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "tollgate-config");
            t.setDaemon(true);
            return t;
          });

  private long backoffMs;
  // Identifies the live Watch call; callbacks from a call that was replaced are ignored.
  private long watchGeneration;
  private ClientCallStreamObserver<WatchRequest> watchCall;
  private long lastMessageNanos;
  private volatile boolean stopped;

  ConfigWatchClient(ConfigReplica replica, ControlPlaneChannel channel, DataPlaneConfig config) {
    this.replica = replica;
    this.channel = channel;
    this.stub = ConfigServiceGrpc.newStub(channel.channel());
    this.settings = config.replica();
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
    watchGeneration++;
    stub.withDeadlineAfter(settings.snapshotTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .getSnapshot(
            GetSnapshotRequest.getDefaultInstance(),
            new StreamObserver<>() {
              @Override
              public void onNext(Snapshot snapshot) {
                onScheduler(() -> snapshotLoaded(snapshot));
              }

              @Override
              public void onError(Throwable t) {
                onScheduler(() -> snapshotFailed(t));
              }

              @Override
              public void onCompleted() {}
            });
  }

  private void snapshotLoaded(Snapshot snapshot) {
    ConfigView view = ConfigView.of(snapshot);
    replica.replace(view);
    LOG.infof(
        "Config snapshot loaded at revision %d: %d keys, %d provider groups, %d provider keys",
        view.revision(),
        snapshot.getKeysCount(),
        snapshot.getProviderGroupsCount(),
        snapshot.getProviderKeysCount());
    backoffMs = settings.retryMinBackoff().toMillis();
    openWatch();
  }

  private void snapshotFailed(Throwable t) {
    LOG.warnf(
        "Config snapshot from the control plane failed (%s); retrying in %d ms",
        Status.fromThrowable(t), backoffMs);
    retryLater(this::loadSnapshot);
  }

  private void openWatch() {
    if (stopped) {
      return;
    }
    long generation = ++watchGeneration;
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
    if (change.getRevision() < current.revision()) {
      return;
    }
    replica.replace(current.apply(change));
    if (ConfigView.hasEntities(change)) {
      LOG.debugf("Config change applied at revision %d", change.getRevision());
    }
  }

  private void watchEnded(long generation, Status status) {
    if (generation != watchGeneration || stopped) {
      return;
    }
    watchCall = null;
    if (RESNAPSHOT.contains(status.getCode())) {
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
