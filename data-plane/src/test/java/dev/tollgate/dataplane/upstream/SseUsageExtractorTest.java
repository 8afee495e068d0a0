package dev.tollgate.dataplane.upstream;

import static dev.tollgate.dataplane.upstream.JsonUsageExtractorTest.expected;
import static dev.tollgate.dataplane.upstream.JsonUsageExtractorTest.resource;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Golden files: {@code sse/<case>.in.sse} is the upstream stream, {@code .out.sse} what the client
 * must receive, {@code .out.json} the usage counted.
 */
class SseUsageExtractorTest {

  private static String relay(
      byte[] stream, int chunkSize, boolean hideUsage, SseUsageExtractor[] out) {
    SseUsageExtractor extractor = new SseUsageExtractor(hideUsage);
    Buffer forwarded = Buffer.buffer();
    for (int from = 0; from < stream.length; from += chunkSize) {
      int to = Math.min(stream.length, from + chunkSize);
      forwarded.appendBuffer(
          extractor.onChunk(Buffer.buffer(Arrays.copyOfRange(stream, from, to))));
    }
    forwarded.appendBuffer(extractor.onEnd());
    out[0] = extractor;
    return forwarded.toString(StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @CsvSource({
    "hidden,true",
    "kept,false",
    "crlf-multiline,true",
    "unterminated,true",
    "responses,false",
    "anthropic,false"
  })
  void forwardsTheGoldenStreamAndCountsTheGoldenUsageWhateverTheChunking(String name, boolean hide)
      throws IOException {
    // Given
    byte[] in = resource("sse/" + name + ".in.sse");
    String expectedOut = new String(resource("sse/" + name + ".out.sse"), StandardCharsets.UTF_8);
    TokenUsage expectedUsage = expected("sse/" + name + ".out.json");

    for (int chunkSize : new int[] {1, 2, 7, 13, 64, in.length}) {
      // When the stream arrives in chunks of this size
      SseUsageExtractor[] extractor = new SseUsageExtractor[1];
      String out = relay(in, chunkSize, hide, extractor);

      // Then
      assertThat(out).as("chunks of %d", chunkSize).isEqualTo(expectedOut);
      assertThat(extractor[0].usage()).as("chunks of %d", chunkSize).isEqualTo(expectedUsage);
    }
  }

  @Test
  void takesAnthropicsInputFromMessageStartButCallsItFinalOnlyOnceMessageDeltaArrives() {
    // Given
    SseUsageExtractor extractor = new SseUsageExtractor(false);

    // When only message_start has arrived
    extractor.onChunk(
        Buffer.buffer(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":"
                + "{\"input_tokens\":25,\"output_tokens\":1}}}\n\n"));

    // Then the input is known, but not final
    assertThat(extractor.usage()).isEqualTo(new TokenUsage(25, 1, 26));
    assertThat(extractor.usageFinal()).isFalse();

    // And message_delta makes it final with the output count
    extractor.onChunk(
        Buffer.buffer(
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":"
                + "{\"output_tokens\":12}}\n\n"));
    assertThat(extractor.usage()).isEqualTo(new TokenUsage(25, 12, 37));
    assertThat(extractor.usageFinal()).isTrue();
  }

  @ParameterizedTest
  @CsvSource({"kept,21", "responses,5", "anthropic,11"})
  void countsTheCharactersOfGeneratedTextRelayed(String name, long chars) throws IOException {
    // Given
    SseUsageExtractor[] extractor = new SseUsageExtractor[1];

    // When
    relay(resource("sse/" + name + ".in.sse"), 5, false, extractor);

    // Then text deltas are counted, escapes and multi-byte characters as one character each
    assertThat(extractor[0].textChars()).isEqualTo(chars);
  }

  @Test
  void forwardsEachCompleteEventAsSoonAsItsTerminatorArrives() {
    // Given
    SseUsageExtractor extractor = new SseUsageExtractor(true);

    // When an event and half of the next arrive
    Buffer out = extractor.onChunk(Buffer.buffer("data: {\"a\":1}\n\ndata: {\"b\""));

    // Then the complete event goes out at once, the half is held back until finished
    assertThat(out.toString()).isEqualTo("data: {\"a\":1}\n\n");
    assertThat(extractor.onChunk(Buffer.buffer(":2}\n\n")).toString())
        .isEqualTo("data: {\"b\":2}\n\n");
  }

  @Test
  void stopsInspectingAnEventLargerThanTheBoundAndForwardsItRaw() {
    // Given an event with no terminator, larger than the bound
    SseUsageExtractor extractor = new SseUsageExtractor(true);
    byte[] huge = new byte[SseUsageExtractor.MAX_HELD_EVENT_BYTES + 1];
    Arrays.fill(huge, (byte) 'x');

    // When
    Buffer out = extractor.onChunk(Buffer.buffer(huge));

    // Then nothing is held back
    assertThat(out.length()).isEqualTo(huge.length);
    assertThat(extractor.onChunk(Buffer.buffer("data: y\n\n")).toString()).isEqualTo("data: y\n\n");
  }
}
