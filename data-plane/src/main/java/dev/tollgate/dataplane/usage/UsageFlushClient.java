package dev.tollgate.dataplane.usage;

import dev.tollgate.dataplane.ControlPlaneChannel;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.FlushResponse;
import dev.tollgate.proto.usage.v1.UsageServiceGrpc;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Sends one batch to the control plane's UsageService.Flush; blocking, for the flusher thread. */
@ApplicationScoped
public class UsageFlushClient {

  private final ControlPlaneChannel channel;
  private final UsageServiceGrpc.UsageServiceBlockingStub stub;

  UsageFlushClient(ControlPlaneChannel channel) {
    this.channel = channel;
    this.stub = UsageServiceGrpc.newBlockingStub(channel.channel());
  }

  /**
   * @throws io.grpc.StatusRuntimeException when the batch was not acknowledged (it may or may not
   *     have been applied; resending the same batch is safe)
   */
  public FlushResponse flush(FlushRequest batch, Duration deadline) {
    return stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).flush(batch);
  }

  /** Before resending after a failure: do not wait out gRPC's reconnect backoff. */
  public void reconnectNow() {
    channel.reconnectNow();
  }

  /** While flushes fail: have the channel try to connect now. Never blocks. */
  public void connectNow() {
    channel.connectNow();
  }

  /** Runs {@code listener} (on a gRPC thread; must not block) whenever the channel gets ready. */
  public void whenReady(Runnable listener) {
    channel.whenReady(listener);
  }
}
