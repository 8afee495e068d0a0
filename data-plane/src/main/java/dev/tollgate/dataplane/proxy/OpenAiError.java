package dev.tollgate.dataplane.proxy;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.vertx.core.buffer.Buffer;

/**
 * Error bodies shaped as the OpenAI API writes them: {@code {"error":{message,type,code}}}; and, on
 * {@code /v1/messages}, as Anthropic's: {@code {"type":"error","error":{type,message}}} (with the
 * Tollgate code kept as an extra {@code code} member, which Anthropic's SDKs ignore).
 */
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

  /** The body in the endpoint family's shape. */
  static Buffer body(ApiEndpoint.Dialect dialect, int status, String code, String message) {
    if (dialect == ApiEndpoint.Dialect.OPENAI) {
      return body(status, code, message);
    }
    JsonStringEncoder json = JsonStringEncoder.getInstance();
    StringBuilder out = new StringBuilder(96 + message.length());
    out.append("{\"type\":\"error\",\"error\":{\"type\":\"")
        .append(anthropicType(status))
        .append("\",\"message\":\"")
        .append(json.quoteAsString(message))
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

  /** Anthropic's error types by status (https://docs.anthropic.com/en/api/errors). */
  private static String anthropicType(int status) {
    return switch (status) {
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 413 -> "request_too_large";
      case 429 -> "rate_limit_error";
      case 503, 529 -> "overloaded_error";
      default -> status >= 500 ? "api_error" : "invalid_request_error";
    };
  }
}
