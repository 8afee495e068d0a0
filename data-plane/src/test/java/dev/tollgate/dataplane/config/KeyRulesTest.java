package dev.tollgate.dataplane.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tollgate.proto.config.v1.ApiKey;
import org.junit.jupiter.api.Test;

class KeyRulesTest {

  private static byte[] ip(String text) {
    return CidrBlock.numericAddress(text);
  }

  @Test
  void matchesIpv4AndIpv6BlocksByPrefix() {
    // Given
    CidrBlock v4 = CidrBlock.parse("192.168.4.0/22");
    CidrBlock v6 = CidrBlock.parse("2001:db8::/32");
    CidrBlock host = CidrBlock.parse("203.0.113.9");

    // Then
    assertThat(v4.contains(ip("192.168.7.255"))).isTrue();
    assertThat(v4.contains(ip("192.168.8.0"))).isFalse();
    assertThat(v4.contains(ip("::ffff:192.168.5.1"))).isTrue();
    assertThat(v4.contains(ip("2001:db8::1"))).isFalse();
    assertThat(v6.contains(ip("2001:db8:ffff::1"))).isTrue();
    assertThat(v6.contains(ip("2001:db9::1"))).isFalse();
    assertThat(v6.contains(ip("10.0.0.1"))).isFalse();
    assertThat(host.contains(ip("203.0.113.9"))).isTrue();
    assertThat(host.contains(ip("203.0.113.8"))).isFalse();
    assertThat(CidrBlock.parse("0.0.0.0/0").contains(ip("8.8.8.8"))).isTrue();
  }

  @Test
  void refusesTextThatIsNotANumericCidrWithoutLookingItUp() {
    assertThatThrownBy(() -> CidrBlock.parse("example.com/8"))
        .hasMessageContaining("not an IP address");
    assertThatThrownBy(() -> CidrBlock.parse("10.0.0.0/33")).hasMessageContaining("0..32");
    assertThatThrownBy(() -> CidrBlock.parse("10.0.0/8")).hasMessageContaining("not an IP");
    assertThatThrownBy(() -> CidrBlock.parse("10.0.0.0/x")).hasMessageContaining("prefix");
    assertThat(CidrBlock.numericAddress("localhost")).isNull();
  }

  @Test
  void checksDenyBeforeAllow() {
    // Given a key allowing 10/8 but denying 10.1/16
    KeyRules rules =
        KeyRules.of(
            ApiKey.newBuilder().setId(1).addIpAllow("10.0.0.0/8").addIpDeny("10.1.0.0/16").build());

    // Then
    assertThat(rules.admitsAddress(ip("10.2.3.4"))).isTrue();
    assertThat(rules.admitsAddress(ip("10.1.3.4"))).isFalse();
    assertThat(rules.admitsAddress(ip("11.0.0.1"))).isFalse();
    assertThat(rules.admitsAddress(null)).isFalse();
  }

  @Test
  void admitsAnyAddressWhenTheKeyHasNoRules() {
    KeyRules rules = KeyRules.of(ApiKey.newBuilder().setId(1).build());
    assertThat(rules.admitsAddress(ip("8.8.8.8"))).isTrue();
    assertThat(rules.admitsAddress(null)).isTrue();
    assertThat(rules.admitsModel("anything")).isTrue();
  }

  @Test
  void refusesEveryAddressWhenADenyEntryCannotBeRead() {
    // Given a deny list with garbage in it
    KeyRules rules = KeyRules.of(ApiKey.newBuilder().setId(1).addIpDeny("not-a-cidr").build());

    // Then nobody gets in rather than everybody
    assertThat(rules.admitsAddress(ip("8.8.8.8"))).isFalse();
  }
}
