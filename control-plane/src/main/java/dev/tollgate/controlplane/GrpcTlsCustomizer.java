package dev.tollgate.controlplane;

import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.quarkus.grpc.api.ServerBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcServerConfiguration;
import io.quarkus.runtime.StartupEvent;
import io.vertx.grpc.VertxServerBuilder;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Puts the control plane's gRPC (Config and Usage, the data planes' only way in) behind TLS when
 * {@code TOLLGATE_GRPC_TLS_ENABLED=true}, with client certificates required when a client CA is
 * given.
 *
 * <p>Why a port of its own rather than TLS on the shared HTTP port: mutual TLS must be required
 * during the handshake, and on the HTTP port it would be required of everyone, but the kubelet's
 * probes, Prometheus and operators' admin clients present no client certificate. On its own port
 * gRPC can demand one while the HTTP port keeps serving probes and metrics in the pod network and
 * the admin API behind the Ingress that terminates its TLS; a NetworkPolicy can also open the gRPC
 * port to data-plane pods only. So {@code application.properties} turns on Quarkus' separate gRPC
 * server exactly when TLS is enabled.
 *
 * <p>The TLS context is built here with Netty from PEM files, as a Kubernetes TLS Secret holds them
 * ({@code tls.crt}, {@code tls.key}, {@code ca.crt}): Quarkus' own {@code
 * quarkus.grpc.server.ssl.*} reads a client CA only from a password-protected JKS or PKCS#12 store.
 * Files are read once at start-up: a renewed certificate takes a restart (a rolling one).
 *
 * <p>Quarkus calls its separate gRPC server "legacy" (it logs so at start) and recommends the
 * unified one for new applications; it is still supported and is the only one of the two with a
 * port of its own. Should it go, the same split can be had with a second Vert.x HTTP server.
 */
@Singleton
public class GrpcTlsCustomizer implements ServerBuilderCustomizer<VertxServerBuilder> {

  private static final Logger LOG = Logger.getLogger(GrpcTlsCustomizer.class);

  private final ControlPlaneConfig.GrpcTls tls;
  private volatile boolean applied;

  @Inject
  GrpcTlsCustomizer(ControlPlaneConfig config) {
    this(config.grpcTls());
  }

  GrpcTlsCustomizer(ControlPlaneConfig.GrpcTls tls) {
    this.tls = tls;
  }

  @Override
  public void customize(GrpcServerConfiguration config, VertxServerBuilder builder) {
    if (!tls.enabled()) {
      return;
    }
    builder.nettyBuilder().sslContext(serverContext(tls));
    applied = true;
    LOG.infof(
        "gRPC for the data planes: TLS on port %d, %s",
        config.port(),
        tls.clientCa().isPresent()
            ? "client certificates required (TOLLGATE_GRPC_TLS_CLIENT_CA)"
            : "no client certificates (the internal token authenticates)");
  }

  /**
   * Refuses to start when TLS is asked for but gRPC would be served without it: the separate gRPC
   * server was turned off by hand, so this customizer never ran. Also refuses certificate settings
   * without TLS enabled, which would otherwise be ignored without a word.
   */
  void verify(@Observes StartupEvent event) {
    if (tls.enabled() && !applied) {
      throw new IllegalStateException(
          "TOLLGATE_GRPC_TLS_ENABLED=true, but gRPC is served on the HTTP port without TLS:"
              + " quarkus.grpc.server.use-separate-server must stay true when TLS is enabled");
    }
    if (!tls.enabled()
        && (tls.cert().isPresent() || tls.key().isPresent() || tls.clientCa().isPresent())) {
      throw new IllegalStateException(
          "TOLLGATE_GRPC_TLS_CERT, TOLLGATE_GRPC_TLS_KEY or TOLLGATE_GRPC_TLS_CLIENT_CA is set but"
              + " TOLLGATE_GRPC_TLS_ENABLED is not true: set it to serve gRPC over TLS, or unset them");
    }
  }

  /** The server's TLS context; every fault names the variable to fix. */
  static SslContext serverContext(ControlPlaneConfig.GrpcTls tls) {
    Path cert = readable("TOLLGATE_GRPC_TLS_CERT", tls.cert());
    Path key = readable("TOLLGATE_GRPC_TLS_KEY", tls.key());
    SslContextBuilder builder;
    try {
      builder = GrpcSslContexts.forServer(cert.toFile(), key.toFile());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(
          "TOLLGATE_GRPC_TLS_CERT ("
              + cert
              + ") and TOLLGATE_GRPC_TLS_KEY ("
              + key
              + ") are not a PEM certificate chain and its unencrypted PKCS#8 private key: "
              + e.getMessage(),
          e);
    }
    if (tls.clientCa().isPresent()) {
      Path clientCa = readable("TOLLGATE_GRPC_TLS_CLIENT_CA", tls.clientCa());
      try {
        builder.trustManager(clientCa.toFile()).clientAuth(ClientAuth.REQUIRE);
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(
            "TOLLGATE_GRPC_TLS_CLIENT_CA (" + clientCa + ") is not PEM CA certificates", e);
      }
    }
    try {
      return builder.build();
    } catch (javax.net.ssl.SSLException e) {
      throw new IllegalStateException(
          "the gRPC TLS settings (TOLLGATE_GRPC_TLS_*) do not make a TLS context: "
              + e.getMessage(),
          e);
    }
  }

  private static Path readable(String variable, Optional<Path> path) {
    Path file =
        path.orElseThrow(
            () ->
                new IllegalStateException(
                    variable + " is not set; TOLLGATE_GRPC_TLS_ENABLED=true needs it"));
    if (!Files.isReadable(file)) {
      throw new IllegalStateException(variable + " names " + file + ", which cannot be read");
    }
    return file;
  }
}
