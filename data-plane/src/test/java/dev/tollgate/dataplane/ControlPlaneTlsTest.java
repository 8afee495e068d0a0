package dev.tollgate.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlPlaneTlsTest {

  record Tls(boolean enabled, Optional<Path> ca, Optional<Path> cert, Optional<Path> key)
      implements DataPlaneConfig.ControlPlaneTls {}

  @TempDir Path dir;

  @Test
  void refusesCertificateFilesWhenTlsIsNotEnabled() {
    var stray =
        new Tls(false, Optional.of(dir.resolve("ca.pem")), Optional.empty(), Optional.empty());

    assertThatThrownBy(
            () -> ControlPlaneTls.transport(NettyChannelBuilder.forTarget("cp:9443"), stray, "cp"))
        .hasMessageContaining("TOLLGATE_CONTROL_PLANE_TLS_ENABLED is not true");
  }

  @Test
  void refusesACertificateWithoutItsKeyAndNamesUnreadableOrInvalidFiles() throws Exception {
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate");

    assertThatThrownBy(
            () ->
                ControlPlaneTls.clientContext(
                    new Tls(true, Optional.empty(), Optional.of(garbage), Optional.empty())))
        .hasMessageContaining("go together");
    assertThatThrownBy(
            () ->
                ControlPlaneTls.clientContext(
                    new Tls(
                        true,
                        Optional.of(dir.resolve("missing.pem")),
                        Optional.empty(),
                        Optional.empty())))
        .hasMessageContaining("TOLLGATE_CONTROL_PLANE_TLS_CA names")
        .hasMessageContaining("cannot be read");
    assertThatThrownBy(
            () ->
                ControlPlaneTls.clientContext(
                    new Tls(true, Optional.of(garbage), Optional.empty(), Optional.empty())))
        .hasMessageContaining("TOLLGATE_CONTROL_PLANE_TLS_CA")
        .hasMessageContaining("PEM");
  }

  @Test
  void explainsAHandshakeFailureByTheSettingToCheck() {
    Status untrusted =
        Status.UNAVAILABLE.withCause(
            new SSLHandshakeException(
                "PKIX path building failed: unable to find valid certification path"));
    Status refusedClient =
        Status.UNAVAILABLE.withCause(
            new RuntimeException(
                new SSLHandshakeException("Received fatal alert: certificate_required")));
    Status down = Status.UNAVAILABLE.withCause(new ConnectException("Connection refused"));

    assertThat(ControlPlaneTls.explain(untrusted, "cp:9443"))
        .startsWith("TLS with the control plane at cp:9443 failed")
        .contains("not signed by a CA in TOLLGATE_CONTROL_PLANE_TLS_CA");
    assertThat(ControlPlaneTls.explain(refusedClient, "cp:9443"))
        .contains("requires a client certificate")
        .contains("TOLLGATE_CONTROL_PLANE_TLS_CERT");
    assertThat(ControlPlaneTls.explain(down, "cp:9443")).isNull();
    assertThat(ControlPlaneTls.explain(Status.OK, "cp:9443")).isNull();
  }
}
