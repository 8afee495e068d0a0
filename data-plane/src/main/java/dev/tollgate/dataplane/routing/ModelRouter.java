package dev.tollgate.dataplane.routing;

import dev.tollgate.dataplane.config.ConfigView;
import dev.tollgate.proto.config.v1.ApiKey;
import java.util.Collection;
import java.util.List;

/**
 * Chooses the provider group and provider key for a request.
 *
 * <p>Contract: runs on an event loop for every request: no blocking, no I/O, reads only the given
 * view and in-memory health. Returns null when none of the key's active groups (or their fallback
 * groups) serves the model with an active provider key; the caller answers 404 model_not_found.
 * Returns {@link Unavailable} when the model is served but no key may take the request now. A
 * returned {@link Route} holds a lease that the caller must end when the try is over.
 */
public interface ModelRouter {

  /**
   * The route for {@code model} requested with {@code key}, never choosing a provider key in {@code
   * tried} (the keys this request already failed on), or null.
   */
  RouteDecision route(ConfigView view, ApiKey key, String model, Collection<Long> tried);

  /** The first try's route. */
  default RouteDecision route(ConfigView view, ApiKey key, String model) {
    return route(view, key, model, List.of());
  }

  /**
   * The public model names {@code key} can be routed to, sorted and without duplicates (GET
   * /v1/models).
   */
  List<String> models(ConfigView view, ApiKey key);
}
