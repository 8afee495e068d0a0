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
 * The logs name the batch, counts and SQLSTATEs, never the content of an item.
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
                  .setDeadLettered(outcome.deadLetters().size())
                  .build());
    } catch (InvalidFlushException e) {
      // The instance id may be the invalid part: escaped and cut, it cannot forge log lines.
      String instance = request.getDpInstanceId();
      LOG.warnf(
          "rejected flush %s/%d: %s",
          DeadLetters.ascii(instance.substring(0, Math.min(instance.length(), 128))),
          request.getSequence(),
          e.getMessage());
      return Uni.createFrom()
          .failure(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
    } catch (SQLException e) {
      // Only transient failures get here (UsageFlushService, FlushCoalescer); the data plane
      // resends the batch.
      LOG.errorf(
          "flush %s/%d failed transiently (SQLSTATE %s); the data plane will resend it",
          request.getDpInstanceId(), request.getSequence(), e.getSQLState());
      return Uni.createFrom()
          .failure(
              Status.UNAVAILABLE
                  .withDescription("database unavailable; resend the same batch")
                  .asRuntimeException());
    }
  }
}
