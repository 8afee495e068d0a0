package dev.tollgate.controlplane.admin;

import io.quarkus.arc.Arc;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The operator of the current admin request, as {@link AdminAuthFilter} authenticated it. Kept on
 * the Vert.x routing context because the filter may finish on another thread than the resource
 * method runs on; the routing context follows the request.
 */
@ApplicationScoped
public class CurrentOperator {

  static final String KEY = "tollgate.operator";

  /** The request's operator, or {@link Operator#SYSTEM} when no admin request is active. */
  public Operator get() {
    if (!Arc.container().requestContext().isActive()) {
      return Operator.SYSTEM;
    }
    RoutingContext context = Arc.container().instance(CurrentVertxRequest.class).get().getCurrent();
    if (context != null && context.get(KEY) instanceof Operator operator) {
      return operator;
    }
    return Operator.SYSTEM;
  }
}
