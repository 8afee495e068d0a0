package dev.tollgate.dataplane;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.jboss.logging.Logger;

/**
 * The transport of the channel to the control plane ({@link ControlPlaneChannel}): plaintext by
 * default (local runs), or TLS with {@code TOLLGATE_CONTROL_PLANE_TLS_ENABLED=true}, trusting the
 * CA in {@code TOLLGATE_CONTROL_PLANE_TLS_CA} and presenting a client certificate when one is
 * given.
 *
 * <p>A data plane that cannot complete the handshake never loads its configuration, so it stays not
 * ready; gRPC reports that only as UNAVAILABLE, like an unreachable control plane. A handshake
 * failure is therefore logged here, once per reason and minute, saying which setting to check.
 */
final class ControlPlaneTls {

  private static final Logger LOG = Logger.getLogger(ControlPlaneTls.class);

  /** The same failure is logged again after this long (the replica retries every few seconds). */
  private static final Duration REPEAT_LOG_AFTER = Duration.ofMinutes(1);

  private ControlPlaneTls() {}

  /** {@code builder} with the transport the settings ask for; refuses inconsistent settings. */
  static NettyChannelBuilder transport(
      NettyChannelBuilder builder, DataPlaneConfig.ControlPlaneTls tls, String target) {
    if (!tls.enabled()) {
      if (tls.ca().isPresent() || tls.cert().isPresent() || tls.key().isPresent()) {
        throw new IllegalStateException(
            "TOLLGATE_CONTROL_PLANE_TLS_CA, _CERT or _KEY is set but"
                + " TOLLGATE_CONTROL_PLANE_TLS_ENABLED is not true: set it to reach the control"
                + " plane over TLS, or unset them");
      }
      return builder.usePlaintext();
    }
    LOG.infof(
        "Control plane %s over TLS, trusting %s%s",
        target,
        tls.ca().map(Path::toString).orElse("the JVM's default CAs"),
        tls.cert().isPresent() ? ", with client certificate " + tls.cert().get() : "");
    return builder.sslContext(clientContext(tls)).intercept(new HandshakeFailureLog(target));
  }

  /** The client's TLS context; every fault names the variable to fix. */
  static SslContext clientContext(DataPlaneConfig.ControlPlaneTls tls) {
    SslContextBuilder builder = GrpcSslContexts.forClient();
    if (tls.ca().isPresent()) {
      Path ca = readable("TOLLGATE_CONTROL_PLANE_TLS_CA", tls.ca());
      try {
        builder.trustManager(ca.toFile());
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(
            "TOLLGATE_CONTROL_PLANE_TLS_CA (" + ca + ") is not PEM CA certificates", e);
      }
    }
    if (tls.cert().isPresent() != tls.key().isPresent()) {
      throw new IllegalStateException(
          "TOLLGATE_CONTROL_PLANE_TLS_CERT and TOLLGATE_CONTROL_PLANE_TLS_KEY go together: set"
              + " both for a client certificate, or neither");
    }
    if (tls.cert().isPresent()) {
      Path cert = readable("TOLLGATE_CONTROL_PLANE_TLS_CERT", tls.cert());
      Path key = readable("TOLLGATE_CONTROL_PLANE_TLS_KEY", tls.key());
      try {
        builder.keyManager(cert.toFile(), key.toFile());
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(
            "TOLLGATE_CONTROL_PLANE_TLS_CERT ("
                + cert
                + ") and TOLLGATE_CONTROL_PLANE_TLS_KEY ("
                + key
                + ") are not a PEM certificate chain and its unencrypted PKCS#8 private key: "
                + e.getMessage(),
            e);
      }
    }
    try {
      return builder.build();
    } catch (SSLException e) {
      throw new IllegalStateException(
          "the TOLLGATE_CONTROL_PLANE_TLS_* settings do not make a TLS context: " + e.getMessage(),
          e);
    }
  }

  private static Path readable(String variable, Optional<Path> path) {
    Path file = path.orElseThrow();
    if (!Files.isReadable(file)) {
      throw new IllegalStateException(variable + " names " + file + ", which cannot be read");
    }
    return file;
  }

  /** What a failed handshake means for the operator, or null when {@code status} is not one. */
  static String explain(Status status, String target) {
    SSLException tls = null;
    for (Throwable t = status.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
      if (t instanceof SSLException found) {
        tls = found;
      }
    }
    if (tls == null) {
      return null;
    }
    String reason = String.valueOf(tls.getMessage());
    String hint;
    if (reason.contains("PKIX") || reason.contains("certification path")) {
      hint =
          "the control plane's certificate is not signed by a CA in TOLLGATE_CONTROL_PLANE_TLS_CA";
    } else if (reason.contains("subject alternative") || reason.contains("No name matching")) {
      hint = "the control plane's certificate is not issued for the host in TOLLGATE_CONTROL_PLANE";
    } else if (reason.contains("fatal alert")
        && (reason.contains("certificate_required")
            || reason.contains("bad_certificate")
            || reason.contains("unknown_ca")
            || reason.contains("certificate_unknown"))) {
      hint =
          "the control plane requires a client certificate its TOLLGATE_GRPC_TLS_CLIENT_CA signed:"
              + " check TOLLGATE_CONTROL_PLANE_TLS_CERT and TOLLGATE_CONTROL_PLANE_TLS_KEY";
    } else if (reason.contains("not an SSL/TLS record")) {
      hint = "the control plane does not speak TLS on that port (TOLLGATE_GRPC_TLS_ENABLED)";
    } else {
      hint =
          "check TOLLGATE_CONTROL_PLANE_TLS_CA, _CERT and _KEY against the control plane's"
              + " TOLLGATE_GRPC_TLS_* settings";
    }
    return "TLS with the control plane at " + target + " failed: " + hint + " (" + reason + ")";
  }

  /** Logs handshake failures seen by any call on the channel, once per reason and minute. */
  private static final class HandshakeFailureLog implements ClientInterceptor {
    private final String target;
    private final AtomicReference<String> lastLogged = new AtomicReference<>("");
    private volatile long lastLoggedNanos;

    HandshakeFailureLog(String target) {
      this.target = target;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(
        MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<R> listener, Metadata headers) {
          super.start(
              new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                @Override
                public void onClose(Status status, Metadata trailers) {
                  log(explain(status, target));
                  super.onClose(status, trailers);
                }
              },
              headers);
        }
      };
    }

    private void log(String message) {
      if (message == null) {
        return;
      }
      long now = System.nanoTime();
      String previous = lastLogged.getAndSet(message);
      if (!message.equals(previous) || now - lastLoggedNanos > REPEAT_LOG_AFTER.toNanos()) {
        lastLoggedNanos = now;
        LOG.error(message);
      }
    }
  }
}
