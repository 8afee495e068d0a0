package dev.tollgate.controlplane.config;

import dev.tollgate.controlplane.ControlPlaneConfig;
import dev.tollgate.proto.config.v1.ConfigChange;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.MultiEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Feeds every open {@code Watch} stream of this process from one shared poll of {@code
 * config_state.revision} (every {@code tollgate.watch.poll-interval}, 200 ms by default), so the
 * database sees one tiny query per interval however many data planes watch, and a key revoked
 * through the admin API reaches them well within the 2 s the design allows.
 *
 * <p>Threads: the poll runs on one dedicated scheduler thread and never blocks on a stream. Change
 * sets are read on the worker pool, at most one at a time per stream, and streams at the same
 * revision share one read. A change set is sent as the parts {@link ConfigRepository#changesAfter}
 * cut it into, back to back; a stream so far behind that it would exceed {@code
 * tollgate.watch.max-change-entities} is ended with OUT_OF_RANGE (the data plane reloads the
 * snapshot). Emission per stream is serialized by its Mutiny emitter. A stream that ends (client
 * cancel, error, shutdown, {@code tollgate.watch.max-stream-age}) unsubscribes itself; the age
 * limit also ends streams whose cancel the HTTP/2 layer never reported.
 */
@ApplicationScoped
public class ConfigChangePoller {

  private static final Logger LOG = Logger.getLogger(ConfigChangePoller.class);

  /** Passed to streams when the revision could not be read: only their age is checked. */
  private static final long UNKNOWN = -1;

  private final ConfigRepository repository;
  private final long pollMillis;
  private final long heartbeatNanos;
  private final long maxStreamAgeNanos;
  private final int budgetBytes;
  private final int maxChangeEntities;
  private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
  private final Executor workers = Infrastructure.getDefaultWorkerPool();
  private ScheduledExecutorService scheduler;

  /** The latest change set read, reused by every stream that asks for the same range. */
  private List<ConfigChange> sharedChange;

  private long sharedAfter = -1;

  ConfigChangePoller(ConfigRepository repository, ControlPlaneConfig config) {
    this.repository = repository;
    this.pollMillis = config.watch().pollInterval().toMillis();
    this.heartbeatNanos = config.watch().heartbeatInterval().toNanos();
    this.maxStreamAgeNanos = config.watch().maxStreamAge().toNanos();
    this.budgetBytes = config.watch().messageBudgetBytes();
    this.maxChangeEntities = config.watch().maxChangeEntities();
  }

  void start(@Observes StartupEvent event) {
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "tollgate-config-poller");
              thread.setDaemon(true);
              return thread;
            });
    scheduler.scheduleWithFixedDelay(this::poll, pollMillis, pollMillis, TimeUnit.MILLISECONDS);
  }

  void stop(@Observes ShutdownEvent event) {
    scheduler.shutdownNow();
    // Ending the streams makes data planes reconnect, to another replica if there is one.
    subscriptions.forEach(subscription -> subscription.emitter.complete());
  }

  /**
   * Starts a stream: its first message carries everything changed after {@code afterRevision};
   * later ones follow as the committed revision grows.
   */
  public void subscribe(long afterRevision, MultiEmitter<? super ConfigChange> emitter) {
    var subscription = new Subscription(emitter, afterRevision);
    emitter.onTermination(() -> subscriptions.remove(subscription));
    subscriptions.add(subscription);
    workers.execute(subscription::sendFirst);
  }

  /** Open streams; for tests and metrics. */
  public int subscriberCount() {
    return subscriptions.size();
  }

  private void poll() {
    if (subscriptions.isEmpty()) {
      return;
    }
    long revision = UNKNOWN;
    try {
      revision = repository.currentRevision();
    } catch (Exception e) {
      // Streams stay open without heartbeats, which tells the data planes something is wrong.
      LOG.warnf("Cannot read the config revision: %s", e.toString());
    }
    long now = System.nanoTime();
    for (Subscription subscription : subscriptions) {
      try {
        subscription.tick(revision, now);
      } catch (RuntimeException e) {
        // One broken stream must not stop the scheduler, which would silence every other stream.
        LOG.warnf("Ending a Watch stream that failed: %s", e.toString());
        subscription.emitter.fail(e);
      }
    }
  }

  private synchronized List<ConfigChange> sharedChangesAfter(
      long afterRevision, long atLeastRevision) throws Exception {
    if (sharedChange == null
        || sharedAfter != afterRevision
        || sharedChange.get(0).getRevision() < atLeastRevision) {
      sharedChange = repository.changesAfter(afterRevision, budgetBytes, maxChangeEntities);
      sharedAfter = afterRevision;
    }
    return sharedChange;
  }

  private static StatusRuntimeException tooFarBehind(ConfigRepository.ChangeSetTooLarge e) {
    return Status.OUT_OF_RANGE.withDescription(e.getMessage()).asRuntimeException();
  }

  private final class Subscription {

    private final MultiEmitter<? super ConfigChange> emitter;

    /** Set by the poller thread before a read is handed to a worker, cleared by that worker. */
    private final AtomicBoolean busy = new AtomicBoolean(true);

    private final long startedAtNanos = System.nanoTime();
    private volatile long sentRevision;
    private volatile long sentAtNanos;

    Subscription(MultiEmitter<? super ConfigChange> emitter, long afterRevision) {
      this.emitter = emitter;
      this.sentRevision = afterRevision;
    }

    void sendFirst() {
      try {
        List<ConfigChange> first =
            repository.changesAfter(sentRevision, budgetBytes, maxChangeEntities);
        if (first.get(0).getRevision() < sentRevision) {
          // The data plane knows a revision this database never reached (restored from a
          // backup?): "changes after" would silently miss everything, so it must reload.
          emitter.fail(
              Status.OUT_OF_RANGE
                  .withDescription(
                      "after_revision "
                          + sentRevision
                          + " is ahead of the control plane's revision "
                          + first.get(0).getRevision()
                          + "; load a new snapshot")
                  .asRuntimeException());
          return;
        }
        send(first);
      } catch (ConfigRepository.ChangeSetTooLarge e) {
        emitter.fail(tooFarBehind(e));
      } catch (Exception e) {
        LOG.warnf("Cannot read config changes for a new Watch stream: %s", e.toString());
        emitter.fail(
            Status.UNAVAILABLE
                .withDescription("cannot read the configuration; retry")
                .asRuntimeException());
      } finally {
        busy.set(false);
      }
    }

    void tick(long revision, long now) {
      if (emitter.isCancelled() || busy.get()) {
        return;
      }
      if (now - startedAtNanos >= maxStreamAgeNanos) {
        emitter.complete();
        return;
      }
      if (revision == UNKNOWN) {
        return;
      }
      if (revision > sentRevision) {
        busy.set(true);
        long after = sentRevision;
        workers.execute(
            () -> {
              try {
                send(sharedChangesAfter(after, revision));
              } catch (ConfigRepository.ChangeSetTooLarge e) {
                emitter.fail(tooFarBehind(e));
              } catch (Exception e) {
                // Retried on the next poll: sentRevision did not move.
                LOG.warnf("Cannot read config changes after %d: %s", after, e.toString());
              } finally {
                busy.set(false);
              }
            });
      } else if (now - sentAtNanos >= heartbeatNanos) {
        send(
            List.of(
                ConfigChange.newBuilder()
                    .setRevision(sentRevision)
                    .setAfterRevision(sentRevision)
                    .build()));
      }
    }

    /** Sends the parts of one change set, in order; they share one revision. */
    private void send(List<ConfigChange> parts) {
      sentRevision = parts.get(0).getRevision();
      sentAtNanos = System.nanoTime();
      for (ConfigChange part : parts) {
        emitter.emit(part);
      }
    }
  }
}
