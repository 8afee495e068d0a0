package dev.tollgate.dataplane.proxy;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.vertx.core.buffer.Buffer;

/** Error bodies shaped as the OpenAI API writes them: {@code {"error":{message,type,code}}}. */
final class OpenAiError {

  private OpenAiError() {}

  /** The JSON body for an error with this status, code and message. */
  static Buffer body(int status, String code, String message) {
    return body(type(status), code, message);
  }

  /** The JSON body for an error of this OpenAI {@code type}, code and message. */
  static Buffer body(String type, String code, String message) {
    JsonStringEncoder json = JsonStringEncoder.getInstance();
    StringBuilder out = new StringBuilder(96 + message.length());
    out.append("{\"error\":{\"message\":\"")
        .append(json.quoteAsString(message))
        .append("\",\"type\":\"")
        .append(type)
        .append("\",\"code\":\"")
        .append(json.quoteAsString(code))
        .append("\"}}");
    return Buffer.buffer(out.toString());
  }

  private static String type(int status) {
    if (status == 429) {
      return "insufficient_quota";
    }
    return status >= 500 ? "server_error" : "invalid_request_error";
  }
}
