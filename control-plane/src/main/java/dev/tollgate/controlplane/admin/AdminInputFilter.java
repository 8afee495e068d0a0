package dev.tollgate.controlplane.admin;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Refuses, before any resource method runs, input that the endpoints would otherwise store mangled
 * or fail on with a 500, for every endpoint at once:
 *
 * <ul>
 *   <li>a query parameter or path segment with a NUL, a lone surrogate or %-escapes that are not
 *       UTF-8 ({@link InputText}): 400 naming the parameter (JAX-RS would decode such bytes to
 *       U+FFFD without a word);
 *   <li>an {@code Authorization} header that is not printable ASCII (no token is): 400 naming it
 *       (the HTTP decoder already refuses control characters in headers with a bare 400);
 *   <li>a body without {@code Content-Type: application/json} or with a charset other than UTF-8:
 *       415 (RESTEasy would take a body without a type as JSON, and refuses other types itself,
 *       which {@link ProblemExceptionMappers} turns into the same answer).
 * </ul>
 *
 * <p>JSON bodies are checked while they are read ({@link StrictJsonCustomizer}). Runs on the event
 * loop; it only reads the request line and headers.
 */
public class AdminInputFilter {

  private static final Pattern PATH_PARAMETER = Pattern.compile("\\{\\s*(\\w+)\\s*(:.*)?}");

  /** Before authentication, so that a malformed credential is named rather than merely refused. */
  @ServerRequestFilter(preMatching = true, priority = Priorities.AUTHENTICATION - 100)
  public Response checkHeaders(HttpServerRequest request) {
    String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (authorization != null && !printableAscii(authorization)) {
      return ProblemException.badRequest(
              "Authorization", "Authorization must be printable ASCII: Bearer <operator token>")
          .toProblem()
          .toResponse();
    }
    return null;
  }

  /** After matching (and so after authentication): the matched template names path segments. */
  @ServerRequestFilter
  public Response checkRequest(
      ContainerRequestContext context, HttpServerRequest request, ResourceInfo resource) {
    ProblemException refused = query(request.query());
    if (refused == null) {
      refused = path(request.path(), template(resource));
    }
    if (refused == null && hasBody(request) && !isUtf8Json(context.getMediaType())) {
      refused = ProblemException.unsupportedMediaType();
    }
    return refused == null ? null : refused.toProblem().toResponse();
  }

  private static ProblemException query(String rawQuery) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return null;
    }
    for (String pair : rawQuery.split("&")) {
      int equals = pair.indexOf('=');
      String rawName = equals < 0 ? pair : pair.substring(0, equals);
      String nameFlaw = InputText.uriFlaw(rawName);
      if (nameFlaw != null) {
        return ProblemException.badRequest(
            "query", "a query parameter's name " + nameFlaw + ": \"" + rawName + "\"");
      }
      String name = URLDecoder.decode(rawName, StandardCharsets.UTF_8);
      String valueFlaw = equals < 0 ? null : InputText.uriFlaw(pair.substring(equals + 1));
      if (valueFlaw != null) {
        return ProblemException.badRequest(name, name + " " + valueFlaw);
      }
    }
    return null;
  }

  private static ProblemException path(String rawPath, List<String> template) {
    if (rawPath == null) {
      return null;
    }
    List<String> segments = segments(rawPath);
    for (int i = 0; i < segments.size(); i++) {
      String flaw = InputText.uriFlaw(segments.get(i));
      if (flaw != null) {
        String field = "path";
        if (template.size() == segments.size()) {
          Matcher parameter = PATH_PARAMETER.matcher(template.get(i));
          if (parameter.matches()) {
            field = parameter.group(1);
          }
        }
        return ProblemException.badRequest(field, field + " " + flaw);
      }
    }
    return null;
  }

  /** The matched resource method's path template, one entry per segment. */
  private static List<String> template(ResourceInfo resource) {
    var template = new StringBuilder();
    if (resource != null && resource.getResourceClass() != null) {
      Path type = resource.getResourceClass().getAnnotation(Path.class);
      template.append(type == null ? "" : type.value());
    }
    if (resource != null && resource.getResourceMethod() != null) {
      Path method = resource.getResourceMethod().getAnnotation(Path.class);
      template.append('/').append(method == null ? "" : method.value());
    }
    return segments(template.toString());
  }

  private static List<String> segments(String path) {
    var segments = new ArrayList<String>();
    for (String segment : path.split("/")) {
      if (!segment.isEmpty()) {
        segments.add(segment);
      }
    }
    return segments;
  }

  /** A body follows: a positive Content-Length, or chunks (whose length nobody knows yet). */
  private static boolean hasBody(HttpServerRequest request) {
    if (request.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
      return true;
    }
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    // The HTTP decoder has refused a Content-Length that is not a number.
    return length != null && !length.isBlank() && Long.parseLong(length.trim()) > 0;
  }

  private static boolean isUtf8Json(MediaType type) {
    if (type == null
        || !type.getType().equalsIgnoreCase("application")
        || !type.getSubtype().equalsIgnoreCase("json")) {
      return false;
    }
    String charset = type.getParameters().get(MediaType.CHARSET_PARAMETER);
    return charset == null || charset.equalsIgnoreCase("utf-8");
  }

  private static boolean printableAscii(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c > 0x7E) {
        return false;
      }
    }
    return true;
  }
}
