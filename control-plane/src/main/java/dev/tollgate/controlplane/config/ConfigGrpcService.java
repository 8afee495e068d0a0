package dev.tollgate.controlplane.config;

import dev.tollgate.proto.config.v1.ConfigChange;
import dev.tollgate.proto.config.v1.ConfigService;
import dev.tollgate.proto.config.v1.GetSnapshotRequest;
import dev.tollgate.proto.config.v1.Snapshot;
import dev.tollgate.proto.config.v1.WatchRequest;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/**
 * The configuration a data plane replicates: a snapshot at start, then a change stream. Callers are
 * authenticated by {@link InternalTokenInterceptor}.
 */
@GrpcService
public class ConfigGrpcService implements ConfigService {

  private final ConfigRepository repository;
  private final ConfigChangePoller poller;

  ConfigGrpcService(ConfigRepository repository, ConfigChangePoller poller) {
    this.repository = repository;
    this.poller = poller;
  }

  @Override
  @Blocking
  public Uni<Snapshot> getSnapshot(GetSnapshotRequest request) {
    try {
      return Uni.createFrom().item(repository.snapshot());
    } catch (Exception e) {
      return Uni.createFrom()
          .failure(
              Status.UNAVAILABLE
                  .withDescription("cannot read the configuration; retry")
                  .withCause(e)
                  .asRuntimeException());
    }
  }

  @Override
  public Multi<ConfigChange> watch(WatchRequest request) {
    if (request.getAfterRevision() < 0) {
      return Multi.createFrom()
          .failure(
              Status.INVALID_ARGUMENT
                  .withDescription("after_revision must be >= 0")
                  .asRuntimeException());
    }
    return Multi.createFrom()
        .emitter(emitter -> poller.subscribe(request.getAfterRevision(), emitter));
  }
}
