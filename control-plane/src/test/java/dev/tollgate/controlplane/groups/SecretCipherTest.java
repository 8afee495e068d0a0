package dev.tollgate.controlplane.groups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class SecretCipherTest {

  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

  @Test
  void decryptsWhatItEncrypted() {
    var cipher = new SecretCipher(KEY);

    byte[] sealed = cipher.encrypt("sk-live-secret");

    assertThat(cipher.decrypt(sealed)).isEqualTo("sk-live-secret");
  }

  @Test
  void usesAFreshNonceForEverySecret() {
    var cipher = new SecretCipher(KEY);

    byte[] first = cipher.encrypt("same");
    byte[] second = cipher.encrypt("same");

    assertThat(first).isNotEqualTo(second);
  }

  @Test
  void refusesTamperedCiphertext() {
    var cipher = new SecretCipher(KEY);
    byte[] sealed = cipher.encrypt("sk-live-secret");

    sealed[sealed.length - 1] ^= 1;

    assertThatThrownBy(() -> cipher.decrypt(sealed))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("TOLLGATE_ENCRYPTION_KEY");
  }

  @Test
  void refusesKeyOfWrongLengthNamingTheVariable() {
    String shortKey = Base64.getEncoder().encodeToString(new byte[16]);

    assertThatThrownBy(() -> new SecretCipher(shortKey))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("TOLLGATE_ENCRYPTION_KEY")
        .hasMessageContaining("32 bytes");
  }

  @Test
  void refusesKeyThatIsNotBase64NamingTheVariable() {
    assertThatThrownBy(() -> new SecretCipher("not base64!"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("TOLLGATE_ENCRYPTION_KEY");
  }
}
