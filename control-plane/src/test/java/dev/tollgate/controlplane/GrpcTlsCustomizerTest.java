package dev.tollgate.controlplane;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GrpcTlsCustomizerTest {

  record Tls(
      boolean enabled, int port, Optional<Path> cert, Optional<Path> key, Optional<Path> clientCa)
      implements ControlPlaneConfig.GrpcTls {}

  @TempDir Path dir;

  @Test
  void refusesToStartWhenTlsIsEnabledButGrpcStayedOnTheHttpPort() {
    // Given TLS enabled, but the customizer never called (no separate gRPC server)
    var customizer =
        new GrpcTlsCustomizer(
            new Tls(true, 9443, Optional.of(dir), Optional.of(dir), Optional.empty()));

    // Then
    assertThatThrownBy(() -> customizer.verify(null))
        .hasMessageContaining("TOLLGATE_GRPC_TLS_ENABLED=true")
        .hasMessageContaining("use-separate-server");
  }

  @Test
  void refusesCertificateFilesWithoutTlsEnabledAndAcceptsNeither() {
    var stray =
        new GrpcTlsCustomizer(
            new Tls(false, 9443, Optional.empty(), Optional.empty(), Optional.of(dir)));
    var plain =
        new GrpcTlsCustomizer(
            new Tls(false, 9443, Optional.empty(), Optional.empty(), Optional.empty()));

    assertThatThrownBy(() -> stray.verify(null))
        .hasMessageContaining("TOLLGATE_GRPC_TLS_ENABLED is not true");
    assertThatCode(() -> plain.verify(null)).doesNotThrowAnyException();
  }

  @Test
  void namesTheVariableOfAMissingOrUnusableFile() throws Exception {
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate");

    assertThatThrownBy(
            () ->
                GrpcTlsCustomizer.serverContext(
                    new Tls(true, 9443, Optional.empty(), Optional.of(garbage), Optional.empty())))
        .hasMessageContaining("TOLLGATE_GRPC_TLS_CERT is not set");
    assertThatThrownBy(
            () ->
                GrpcTlsCustomizer.serverContext(
                    new Tls(
                        true,
                        9443,
                        Optional.of(dir.resolve("missing.crt")),
                        Optional.of(garbage),
                        Optional.empty())))
        .hasMessageContaining("TOLLGATE_GRPC_TLS_CERT names")
        .hasMessageContaining("cannot be read");
    assertThatThrownBy(
            () ->
                GrpcTlsCustomizer.serverContext(
                    new Tls(
                        true, 9443, Optional.of(garbage), Optional.of(garbage), Optional.empty())))
        .hasMessageContaining("TOLLGATE_GRPC_TLS_CERT")
        .hasMessageContaining("TOLLGATE_GRPC_TLS_KEY")
        .hasMessageContaining("PEM");
  }
}
