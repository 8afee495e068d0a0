package dev.tollgate.bench.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TargetClientTest {

  private static final byte[] DONE = "data: [DONE]".getBytes(StandardCharsets.UTF_8);

  @Test
  void tailWindowSeesAnEndingSplitAcrossChunksIgnoringTrailingWhitespace() {
    // Given
    TargetClient.TailWindow tail = new TargetClient.TailWindow(DONE.length + 8);

    // When
    tail.add(Buffer.buffer("data: {\"choices\":[]}\n\n" + "x".repeat(100)));
    tail.add(Buffer.buffer("\n\ndata: [DO"));
    tail.add(Buffer.buffer("NE]\n\n"));

    // Then
    assertThat(tail.endsWith(DONE)).isTrue();
  }

  @Test
  void tailWindowRejectsATruncatedBody() {
    // Given
    TargetClient.TailWindow tail = new TargetClient.TailWindow(DONE.length + 8);

    // When
    tail.add(Buffer.buffer("data: {\"choices\":[]}\n\n"));

    // Then
    assertThat(tail.endsWith(DONE)).isFalse();
  }
}
