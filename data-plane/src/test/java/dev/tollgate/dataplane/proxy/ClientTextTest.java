package dev.tollgate.dataplane.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClientTextTest {

  @Test
  void replacesNulControlCharactersAndUnpairedSurrogates() {
    assertThat(ClientText.clean("gpt\u0000x")).isEqualTo("gpt\uFFFDx");
    assertThat(ClientText.clean("a\tb\u007fc")).isEqualTo("a\uFFFDb\uFFFDc");
    assertThat(ClientText.clean("x\ud800y")).isEqualTo("x\uFFFDy");
    assertThat(ClientText.clean("x\udc00y")).isEqualTo("x\uFFFDy");
  }

  @Test
  void keepsCleanTextAndSurrogatePairsAsTheyAre() {
    String text = "gpt-4o-mini \u4e2d \ud83d\ude00";
    assertThat(ClientText.clean(text)).isSameAs(text);
  }

  @Test
  void cutsToTheBoundWithoutSplittingAPair() {
    assertThat(ClientText.clean("m".repeat(100_000))).hasSize(ClientText.MAX_CHARS);
    String pairAtTheCut = "m".repeat(ClientText.MAX_CHARS - 1) + "\ud83d\ude00";
    assertThat(ClientText.clean(pairAtTheCut)).isEqualTo("m".repeat(ClientText.MAX_CHARS - 1));
    assertThat(ClientText.clean(null)).isEmpty();
  }
}
