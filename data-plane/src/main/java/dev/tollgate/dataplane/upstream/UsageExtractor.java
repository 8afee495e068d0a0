package dev.tollgate.dataplane.upstream;

import io.vertx.core.buffer.Buffer;

/**
 * Reads the token usage out of an upstream response while it streams through, chunk by chunk,
 * without keeping the whole body.
 *
 * <p>Contract: one instance per response, fed on one thread in arrival order. {@link #onChunk}
 * returns what to forward to the client for that chunk (the chunk itself, a rewritten copy, or an
 * empty buffer when bytes are held back until an event is complete); {@link #onEnd} returns what is
 * still held back. Memory held is bounded by the largest single token or event, not by the body.
 */
public interface UsageExtractor {

  /** Bytes to forward for this upstream chunk. */
  Buffer onChunk(Buffer chunk);

  /** Bytes still held back when the upstream response ended. */
  Buffer onEnd();

  /** The usage seen so far; {@link TokenUsage#NONE} when the response carried none. */
  TokenUsage usage();

  /**
   * Whether {@link #usage} is the upstream's final count for the request, as opposed to none or a
   * partial one (Anthropic's {@code message_start} reports the input before the output is known).
   */
  boolean usageFinal();

  /**
   * Characters of generated text relayed so far (message contents, text deltas, tool-call
   * arguments), for estimating the output when the answer is cut before its usage arrived.
   */
  long textChars();
}
