package dev.tollgate.dataplane.upstream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

/**
 * Finds the top-level {@code "usage"} object of a non-streamed JSON answer with Jackson's
 * non-blocking parser, fed each chunk as it arrives. Bytes pass through unchanged. A body that is
 * not JSON stops the scan and counts as no usage.
 *
 * <p>Both namings are read: OpenAI's chat, completions and embeddings ({@code prompt_tokens},
 * {@code completion_tokens}, {@code total_tokens}) and the Responses and Anthropic APIs' ({@code
 * input_tokens}, {@code output_tokens}; Anthropic's cache reads and writes count as input). On the
 * way it counts the characters of generated text ({@code content}, {@code text} and {@code
 * arguments} strings), for an estimate when the answer is cut before its usage.
 */
public final class JsonUsageExtractor implements UsageExtractor {

  private static final JsonFactory JSON = new JsonFactory();

  private final JsonParser parser;
  private int depth;
  // 0: outside usage; 1: the next token is the value of top-level "usage"; 2: inside it.
  private int usageState;
  private String usageField;
  private final UsageFields fields = new UsageFields();
  private long textChars;
  private boolean found;
  private boolean failed;

  public JsonUsageExtractor() {
    try {
      this.parser = JSON.createNonBlockingByteArrayParser();
    } catch (IOException e) {
      throw new IllegalStateException("Jackson cannot create a non-blocking parser", e);
    }
  }

  @Override
  public Buffer onChunk(Buffer chunk) {
    feed(chunk.getBytes());
    return chunk;
  }

  @Override
  public Buffer onEnd() {
    return Buffer.buffer();
  }

  @Override
  public TokenUsage usage() {
    return found ? fields.usage() : TokenUsage.NONE;
  }

  @Override
  public boolean usageFinal() {
    return found;
  }

  @Override
  public long textChars() {
    return textChars;
  }

  /** Feeds raw bytes (also used by tests that split a body at arbitrary points). */
  public void feed(byte[] bytes) {
    if (failed || bytes.length == 0) {
      return;
    }
    try {
      ((ByteArrayFeeder) parser.getNonBlockingInputFeeder()).feedInput(bytes, 0, bytes.length);
      JsonToken token;
      while ((token = parser.nextToken()) != null && token != JsonToken.NOT_AVAILABLE) {
        handle(token);
      }
    } catch (IOException e) {
      failed = true;
    }
  }

  private void handle(JsonToken token) throws IOException {
    switch (token) {
      case START_OBJECT:
      case START_ARRAY:
        depth++;
        if (usageState == 1) {
          usageState = token == JsonToken.START_OBJECT ? 2 : 0;
        }
        return;
      case END_OBJECT:
      case END_ARRAY:
        depth--;
        if (usageState == 2 && depth == 1) {
          usageState = 0;
          found = true;
        }
        return;
      case FIELD_NAME:
        if (depth == 1) {
          usageState = "usage".equals(parser.currentName()) ? 1 : 0;
        } else if (usageState == 2 && depth == 2) {
          usageField = parser.currentName();
        }
        return;
      default:
        if (usageState == 1) {
          usageState = 0; // "usage": null or a scalar
        } else if (usageState == 2 && depth == 2 && token == JsonToken.VALUE_NUMBER_INT) {
          fields.put(usageField, parser.getLongValue());
        } else if (token == JsonToken.VALUE_STRING && UsageFields.isText(parser.currentName())) {
          textChars += parser.getTextLength();
        }
    }
  }
}
