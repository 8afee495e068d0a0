package dev.tollgate.dataplane;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ConnectivityState;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The one gRPC channel to the control plane, shared by the config replica and the usage flusher.
 *
 * <p>Built here rather than through {@code quarkus.grpc.clients.*} so that {@code
 * TOLLGATE_CONTROL_PLANE=host:port} stays the single knob (with TOLLGATE_CONTROL_PLANE_TLS_* for
 * TLS, see {@link ControlPlaneTls}), and so that the channel outlives the final flush on shutdown
 * (it is closed when the bean is destroyed, after ShutdownEvent observers).
 */
@ApplicationScoped
public class ControlPlaneChannel {

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final ManagedChannel channel;

  private final List<Runnable> readyListeners = new CopyOnWriteArrayList<>();

  public ControlPlaneChannel(DataPlaneConfig config) {
    String token =
        config
            .internalToken()
            .filter(t -> !t.isBlank())
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "TOLLGATE_INTERNAL_TOKEN is not set: the data plane needs the control"
                            + " plane's internal token (property tollgate.internal-token)"));
    String bearer = "Bearer " + token;
    this.channel =
        ControlPlaneTls.transport(
                NettyChannelBuilder.forTarget(config.controlPlane()),
                config.controlPlaneTls(),
                config.controlPlane())
            // Keepalive notices a silently dead CP connection sooner than the Watch silence
            // timeout.
            .keepAliveTime(30, TimeUnit.SECONDS)
            .keepAliveTimeout(10, TimeUnit.SECONDS)
            .keepAliveWithoutCalls(true)
            // Explicit rather than gRPC's default 4 MiB, and documented with the CP's limit.
            .maxInboundMessageSize(config.controlPlaneMaxInboundBytes())
            .intercept(new BearerInterceptor(bearer))
            .build();
    watchState(channel.getState(false));
  }

  /** The channel; every call on it carries the internal token. */
  public Channel channel() {
    return channel;
  }

  /**
   * Lets the next call try to connect at once. gRPC's own reconnect backoff grows to two minutes;
   * after a CP restart the replica and the flusher retry on their own, shorter schedules, and
   * without this their calls would fail fast until gRPC's timer allowed a new connection.
   */
  public void reconnectNow() {
    channel.resetConnectBackoff();
  }

  /**
   * Runs {@code listener} every time the channel becomes READY (connected to the control plane). It
   * runs on a gRPC thread and must not block.
   */
  public void whenReady(Runnable listener) {
    readyListeners.add(listener);
  }

  /** Asks the channel to connect now unless it is connected, skipping gRPC's reconnect backoff. */
  public void connectNow() {
    if (channel.getState(false) != ConnectivityState.READY) {
      channel.resetConnectBackoff();
      channel.getState(true);
    }
  }

  private void watchState(ConnectivityState seen) {
    channel.notifyWhenStateChanged(
        seen,
        () -> {
          ConnectivityState now = channel.getState(false);
          if (now == ConnectivityState.READY) {
            readyListeners.forEach(Runnable::run);
          }
          if (now != ConnectivityState.SHUTDOWN) {
            watchState(now);
          }
        });
  }

  @PreDestroy
  public void close() throws InterruptedException {
    channel.shutdown();
    if (!channel.awaitTermination(2, TimeUnit.SECONDS)) {
      channel.shutdownNow();
    }
  }

  private static final class BearerInterceptor implements ClientInterceptor {
    private final String bearer;

    BearerInterceptor(String bearer) {
      this.bearer = bearer;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(
        MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<R> listener, Metadata headers) {
          headers.put(AUTHORIZATION, bearer);
          super.start(listener, headers);
        }
      };
    }
  }
}
