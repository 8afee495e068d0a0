package dev.tollgate.controlplane.admin;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.temporal.Temporal;
import java.util.Collection;
import java.util.Map;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Turns every failure of an admin request into {@code application/problem+json}, including the ones
 * RESTEasy Reactive and Jackson raise before a resource method runs (malformed JSON, wrong types,
 * unknown fields, unknown paths), which would otherwise be an empty or HTML answer.
 */
public class ProblemExceptionMappers {

  private static final Logger LOG = Logger.getLogger(ProblemExceptionMappers.class);

  @ServerExceptionMapper
  public Response problem(ProblemException e) {
    return e.toProblem().toResponse();
  }

  /** Jackson's databind errors reach us unwrapped (MismatchedInputException and kin). */
  @ServerExceptionMapper
  public Response json(JsonProcessingException e) {
    return jsonProblem(e).toResponse();
  }

  /** Declared separately: the closest type wins, and Quarkus ships a plain-JSON mapper for it. */
  @ServerExceptionMapper
  public Response mismatch(MismatchedInputException e) {
    return jsonProblem(e).toResponse();
  }

  /** The Jackson reader wraps stream errors (malformed JSON, numbers out of range) in a 400. */
  @ServerExceptionMapper
  public Response web(WebApplicationException e) {
    if (e.getCause() instanceof JsonProcessingException json) {
      return jsonProblem(json).toResponse();
    }
    Response.StatusType status = e.getResponse().getStatusInfo();
    if (status.getStatusCode() == 415) {
      // RESTEasy's own refusal of a Content-Type that matches no @Consumes: the same answer as
      // AdminInputFilter's for a body without one.
      return problem(ProblemException.unsupportedMediaType());
    }
    return Problem.of(status.getStatusCode(), status.getReasonPhrase(), e.getMessage(), null)
        .toResponse();
  }

  @ServerExceptionMapper
  public Response unexpected(RuntimeException e) {
    if (e.getCause() instanceof ProblemException problem) {
      return problem(problem);
    }
    if (databaseUnreachable(e)) {
      // Not the caller's fault and likely brief (a failover, a restart): say so, and when to retry.
      LOG.warnf("Admin request failed: the database is unreachable (%s)", e.toString());
      Problem problem =
          Problem.of(
              503,
              "Service Unavailable",
              "the database is unreachable; nothing was changed, retry shortly",
              null);
      return Response.status(503)
          .type(Problem.MEDIA_TYPE)
          .entity(problem)
          .header("Retry-After", "5")
          .build();
    }
    // The message is left out of the answer: it may describe internals, never the caller's input.
    LOG.error("Admin request failed", e);
    return Problem.of(500, "Internal Server Error", "the request failed; see the server log", null)
        .toResponse();
  }

  /**
   * A connection that could not be had or was lost: SQLSTATE class 08 (connection exception),
   * 57P01..57P03 (the server shutting down or not yet accepting), or the pool timing out.
   */
  static boolean databaseUnreachable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        if (state.startsWith("08")
            || state.equals("57P01")
            || state.equals("57P02")
            || state.equals("57P03")) {
          return true;
        }
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  static Problem jsonProblem(JsonProcessingException e) {
    String field = InputText.printable(fieldOf(e));
    String detail;
    if (e instanceof StrictJsonCustomizer.UnstorableTextException) {
      detail = (field == null ? "a string" : field) + " " + e.getOriginalMessage();
    } else if (e instanceof UnrecognizedPropertyException unknown) {
      detail = "unknown field \"" + InputText.printable(unknown.getPropertyName()) + "\"";
    } else if (e instanceof InputCoercionException) {
      detail = (field == null ? "a number" : field) + " is out of range";
    } else if (e instanceof MismatchedInputException mismatch && field != null) {
      detail = field + " must be " + describe(mismatch.getTargetType());
    } else if (e instanceof StreamReadException read) {
      detail = "malformed JSON: " + read.getOriginalMessage();
    } else {
      detail = "the request body is not valid: " + e.getOriginalMessage();
    }
    return Problem.of(400, "Bad Request", detail, field);
  }

  private static String fieldOf(JsonProcessingException e) {
    if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
      var path = new StringBuilder();
      for (JsonMappingException.Reference ref : mapping.getPath()) {
        if (ref.getFieldName() != null) {
          if (!path.isEmpty()) {
            path.append('.');
          }
          path.append(ref.getFieldName());
        } else if (ref.getIndex() >= 0) {
          path.append('[').append(ref.getIndex()).append(']');
        }
      }
      return path.isEmpty() ? null : path.toString();
    }
    if (e.getProcessor() instanceof JsonParser parser) {
      return pathOf(parser.getParsingContext());
    }
    return null;
  }

  private static String pathOf(JsonStreamContext context) {
    if (context == null || context.inRoot()) {
      return null;
    }
    String parent = pathOf(context.getParent());
    String here =
        context.inArray()
            ? "[" + Math.max(context.getCurrentIndex(), 0) + "]"
            : context.getCurrentName();
    if (here == null) {
      return parent;
    }
    if (parent == null) {
      return here;
    }
    return context.inArray() ? parent + here : parent + "." + here;
  }

  private static String describe(Class<?> type) {
    if (type == null) {
      return "of another type";
    }
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      return "an integer";
    }
    if (type == String.class) {
      return "a string";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "a boolean";
    }
    if (Collection.class.isAssignableFrom(type) || type.isArray()) {
      return "an array";
    }
    if (Temporal.class.isAssignableFrom(type)) {
      return "an ISO-8601 timestamp such as 2030-01-01T00:00:00Z";
    }
    if (Map.class.isAssignableFrom(type) || type.isRecord()) {
      return "an object";
    }
    return "of another type";
  }
}
