package dev.tollgate.controlplane.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * An RFC 9457 problem document. {@code type} is "about:blank" (the status says it all), so {@code
 * title} is the status phrase as RFC 9457 §4.2.1 asks; {@code detail} says what was wrong and the
 * extension member {@code field} names the offending body field, path parameter or header.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String field) {

  public static final MediaType MEDIA_TYPE = new MediaType("application", "problem+json");

  public static Problem of(int status, String title, String detail, String field) {
    return new Problem("about:blank", title, status, detail, field);
  }

  public Response toResponse() {
    return Response.status(status).type(MEDIA_TYPE).entity(this).build();
  }
}
