package dev.tollgate.controlplane.admin;

/**
 * A request the admin API refuses, carrying what the {@code application/problem+json} answer says.
 * {@code field} names the body field or path parameter that was wrong, or is null.
 */
public class ProblemException extends RuntimeException {

  private final int status;
  private final String title;
  private final String field;

  public ProblemException(int status, String title, String detail, String field) {
    super(detail, null, false, false);
    this.status = status;
    this.title = title;
    this.field = field;
  }

  public static ProblemException badRequest(String field, String detail) {
    return new ProblemException(400, "Bad Request", detail, field);
  }

  public static ProblemException notFound(String what, long id) {
    return new ProblemException(404, "Not Found", what + " " + id + " does not exist", "id");
  }

  /**
   * A body that is not declared as JSON: absent or another {@code Content-Type}, or a charset other
   * than UTF-8 (RFC 8259 §8.1: JSON between systems is UTF-8).
   */
  public static ProblemException unsupportedMediaType() {
    return new ProblemException(
        415,
        "Unsupported Media Type",
        "a request body must be JSON, sent with Content-Type: application/json (UTF-8)",
        "Content-Type");
  }

  public static ProblemException conflict(String field, String detail) {
    return new ProblemException(409, "Conflict", detail, field);
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }

  public String field() {
    return field;
  }

  public Problem toProblem() {
    return Problem.of(status, title, getMessage(), field);
  }
}
