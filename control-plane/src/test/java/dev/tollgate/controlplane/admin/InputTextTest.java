package dev.tollgate.controlplane.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class InputTextTest {

  @Test
  void acceptsAnyCharacterButNulAndLoneSurrogates() {
    assertThat(InputText.flaw("plain é 中 \uD83D\uDE00 \t\n")).isNull();
    assertThat(InputText.flaw("a\u0000b")).isEqualTo(InputText.NUL);
    assertThat(InputText.flaw("a\uD800")).isEqualTo(InputText.LONE_SURROGATE);
    assertThat(InputText.flaw("\uD800b")).isEqualTo(InputText.LONE_SURROGATE);
    assertThat(InputText.flaw("a\uDC00b")).isEqualTo(InputText.LONE_SURROGATE);
    assertThat(InputText.flaw("\uDE00\uD83D")).isEqualTo(InputText.LONE_SURROGATE);
  }

  @Test
  void judgesUriComponentsByTheirDecodedUtf8() {
    for (var good :
        new String[] {"", "abc", "a+b", "%41", "caf%C3%A9", "%F0%9F%98%80", "caf\u00c3\u00a9"}) {
      assertThat(InputText.uriFlaw(good)).as(good).isNull();
    }
    for (var bad :
        Map.of(
                "a%00", InputText.NUL,
                "%ED%A0%80", InputText.NOT_UTF8,
                "%FF", InputText.NOT_UTF8,
                "%C0%AF", InputText.NOT_UTF8,
                "caf\u00e9", InputText.NOT_UTF8,
                "%zz", InputText.BAD_ESCAPE,
                "%4", InputText.BAD_ESCAPE,
                "%", InputText.BAD_ESCAPE)
            .entrySet()) {
      assertThat(InputText.uriFlaw(bad.getKey())).as(bad.getKey()).isEqualTo(bad.getValue());
    }
  }

  @Test
  void replacesWhatItRefusesWhenEchoingIt() {
    assertThat(InputText.printable("a\u0000b\uD800c\uD83D\uDE00"))
        .isEqualTo("a\uFFFDb\uFFFDc\uD83D\uDE00");
    assertThat(InputText.printable("clean")).isEqualTo("clean");
    assertThat(InputText.printable(null)).isNull();
  }
}
