package dev.tollgate.dataplane.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tollgate.dataplane.config.CidrBlock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClientAddressResolverTest {

  private static final byte[] PEER = CidrBlock.numericAddress("10.0.0.5");

  private static byte[] ip(String text) {
    return CidrBlock.numericAddress(text);
  }

  @Test
  void takesTheEntryTrustedHopsFromTheRight() {
    // Given two proxies in front
    ClientAddressResolver resolver =
        new ClientAddressResolver("X-Forwarded-For", 2, Optional.empty());

    // When the client forged a first entry
    byte[] client = resolver.fromHeader(List.of("6.6.6.6, 203.0.113.7", "10.0.0.9"), PEER);

    // Then the forged entry is ignored
    assertThat(client).isEqualTo(ip("203.0.113.7"));
  }

  @Test
  void usesThePeerWhenTheHeaderHasFewerEntriesThanTrustedHops() {
    ClientAddressResolver resolver =
        new ClientAddressResolver("X-Forwarded-For", 2, Optional.empty());
    assertThat(resolver.fromHeader(List.of("203.0.113.7"), PEER)).isEqualTo(PEER);
    assertThat(resolver.fromHeader(List.of(), PEER)).isEqualTo(PEER);
  }

  @Test
  void withTrustedProxiesSkipsThemFromTheRightAndIgnoresHeadersFromUntrustedPeers() {
    // Given proxies in 10.0.0.0/8
    ClientAddressResolver resolver =
        new ClientAddressResolver("X-Forwarded-For", 1, Optional.of(List.of("10.0.0.0/8")));

    // Then the right-most untrusted entry is the client
    assertThat(resolver.fromHeader(List.of("6.6.6.6, 203.0.113.7, 10.1.1.1"), PEER))
        .isEqualTo(ip("203.0.113.7"));
    // And a peer outside the proxies cannot set the header at all
    byte[] outsider = ip("198.51.100.1");
    assertThat(resolver.fromHeader(List.of("203.0.113.7"), outsider)).isEqualTo(outsider);
  }

  @Test
  void refusesABadTrustedProxyAtStartNamingTheSetting() {
    assertThatThrownBy(
            () -> new ClientAddressResolver("X-Forwarded-For", 1, Optional.of(List.of("10.0/8"))))
        .hasMessageContaining("tollgate.client-ip.trusted-proxies");
    assertThatThrownBy(() -> new ClientAddressResolver("none", 0, Optional.empty()))
        .hasMessageContaining("tollgate.client-ip.trusted-hops");
  }
}
