package dev.tollgate.controlplane.usage;

import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.FlushResponse;
import dev.tollgate.proto.usage.v1.UsageService;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import java.sql.SQLException;
import org.jboss.logging.Logger;

/**
 * gRPC face of the flush ({@link FlushCoalescer}, which applies alone through {@link
 * UsageFlushService} when coalescing is off): maps its outcomes to the statuses usage.proto names.
 */
@GrpcService
public class FlushGrpcService implements UsageService {

  private static final Logger LOG = Logger.getLogger(FlushGrpcService.class);

  private final FlushCoalescer flushes;

  FlushGrpcService(FlushCoalescer flushes) {
    this.flushes = flushes;
  }

  @Override
  @Blocking
  public Uni<FlushResponse> flush(FlushRequest request) {
    try {
      FlushRepository.Outcome outcome = flushes.apply(request);
      return Uni.createFrom()
          .item(
              FlushResponse.newBuilder()
                  .setDuplicate(outcome.duplicate())
                  .setAppliedSequence(outcome.appliedSequence())
                  .build());
    } catch (InvalidFlushException e) {
      LOG.warnf(
          "rejected flush %s/%d: %s",
          request.getDpInstanceId(), request.getSequence(), e.getMessage());
      return Uni.createFrom()
          .failure(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
    } catch (SQLException e) {
      LOG.errorf(e, "flush %s/%d failed", request.getDpInstanceId(), request.getSequence());
      return Uni.createFrom()
          .failure(
              Status.UNAVAILABLE
                  .withDescription("database unavailable; resend the same batch")
                  .asRuntimeException());
    }
  }
}
