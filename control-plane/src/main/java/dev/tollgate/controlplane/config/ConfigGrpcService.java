package dev.tollgate.controlplane.config;

import dev.tollgate.controlplane.ControlPlaneConfig;
import dev.tollgate.proto.config.v1.ConfigChange;
import dev.tollgate.proto.config.v1.ConfigServiceGrpc;
import dev.tollgate.proto.config.v1.GetSnapshotRequest;
import dev.tollgate.proto.config.v1.SnapshotBegin;
import dev.tollgate.proto.config.v1.SnapshotPart;
import dev.tollgate.proto.config.v1.WatchRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.Cancellable;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The configuration a data plane replicates: a snapshot at start, then a change stream. Callers are
 * authenticated by {@link InternalTokenInterceptor}.
 *
 * <p>Written against grpc-java's stub API rather than Mutiny's because a snapshot must follow the
 * data plane's pace: Quarkus subscribes to a returned {@code Multi} with unbounded demand, which
 * would read a million keys into the outbound buffer as fast as PostgreSQL hands them out. Here the
 * worker streaming a snapshot waits for {@code isReady()} before each chunk, so the control plane
 * holds one chunk per snapshot in flight, whatever the key count.
 */
@GrpcService
public class ConfigGrpcService extends ConfigServiceGrpc.ConfigServiceImplBase {

  private static final Logger LOG = Logger.getLogger(ConfigGrpcService.class);

  private final ConfigRepository repository;
  private final ConfigChangePoller poller;
  private final int budgetBytes;
  private final long stallTimeoutNanos;

  ConfigGrpcService(
      ConfigRepository repository, ConfigChangePoller poller, ControlPlaneConfig config) {
    this.repository = repository;
    this.poller = poller;
    this.budgetBytes = config.watch().messageBudgetBytes();
    this.stallTimeoutNanos = config.watch().snapshotStallTimeout().toNanos();
  }

  @Override
  public void getSnapshot(GetSnapshotRequest request, StreamObserver<SnapshotPart> observer) {
    var call = (ServerCallStreamObserver<SnapshotPart>) observer;
    var paced = new PacedStream(call, stallTimeoutNanos);
    Infrastructure.getDefaultWorkerPool().execute(() -> streamSnapshot(paced, call));
  }

  private void streamSnapshot(PacedStream paced, ServerCallStreamObserver<SnapshotPart> call) {
    try {
      var chunker =
          new ConfigChunker(
              budgetBytes, chunk -> paced.send(SnapshotPart.newBuilder().setChunk(chunk).build()));
      var end =
          repository.snapshot(
              revision ->
                  paced.send(
                      SnapshotPart.newBuilder()
                          .setBegin(SnapshotBegin.newBuilder().setRevision(revision))
                          .build()),
              chunker);
      paced.send(SnapshotPart.newBuilder().setEnd(end).build());
      call.onCompleted();
    } catch (Abandoned abandoned) {
      LOG.debugf("Snapshot stream abandoned: %s", abandoned.getMessage());
      if (!call.isCancelled()) {
        call.onError(
            Status.DEADLINE_EXCEEDED.withDescription(abandoned.getMessage()).asRuntimeException());
      }
    } catch (Exception e) {
      LOG.warnf("Cannot stream a config snapshot: %s", e.toString());
      if (!call.isCancelled()) {
        call.onError(
            Status.UNAVAILABLE
                .withDescription("cannot read the configuration; retry")
                .withCause(e)
                .asRuntimeException());
      }
    }
  }

  @Override
  public void watch(WatchRequest request, StreamObserver<ConfigChange> observer) {
    if (request.getAfterRevision() < 0) {
      observer.onError(
          Status.INVALID_ARGUMENT
              .withDescription("after_revision must be >= 0")
              .asRuntimeException());
      return;
    }
    var call = (ServerCallStreamObserver<ConfigChange>) observer;
    Cancellable subscription =
        Multi.createFrom()
            .<ConfigChange>emitter(emitter -> poller.subscribe(request.getAfterRevision(), emitter))
            .subscribe()
            .with(call::onNext, call::onError, call::onCompleted);
    call.setOnCancelHandler(subscription::cancel);
  }

  /** The client went away or stopped reading: the snapshot's transaction must end. */
  private static final class Abandoned extends RuntimeException {
    Abandoned(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Sends messages only while the call's transport is ready for more, blocking the (worker) thread
   * otherwise; gRPC's onReady and onCancel callbacks wake it.
   */
  private static final class PacedStream {
    private final ServerCallStreamObserver<SnapshotPart> call;
    private final long stallTimeoutNanos;
    private boolean cancelled;

    PacedStream(ServerCallStreamObserver<SnapshotPart> call, long stallTimeoutNanos) {
      this.call = call;
      this.stallTimeoutNanos = stallTimeoutNanos;
      // Both handlers must be set before getSnapshot returns (grpc-java's rule).
      call.setOnReadyHandler(this::wake);
      call.setOnCancelHandler(
          () -> {
            synchronized (this) {
              cancelled = true;
              notifyAll();
            }
          });
    }

    private synchronized void wake() {
      notifyAll();
    }

    void send(SnapshotPart part) {
      long deadline = System.nanoTime() + stallTimeoutNanos;
      synchronized (this) {
        while (!call.isReady() && !cancelled) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new Abandoned("the data plane took no snapshot chunk for too long");
          }
          try {
            // Bounded wait: isReady can turn true without a callback reaching this monitor first.
            wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 100)));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Abandoned("interrupted");
          }
        }
        if (cancelled) {
          throw new Abandoned("the data plane cancelled the snapshot");
        }
      }
      try {
        call.onNext(part);
      } catch (StatusRuntimeException e) {
        throw new Abandoned("the call ended: " + e.getStatus());
      }
    }
  }
}
