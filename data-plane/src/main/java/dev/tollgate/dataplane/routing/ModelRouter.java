package dev.tollgate.dataplane.routing;

import dev.tollgate.dataplane.config.ConfigView;
import dev.tollgate.proto.config.v1.ApiKey;
import java.util.List;

/**
 * Chooses the provider group and provider key for a request.
 *
 * <p>Contract: runs on an event loop for every request: no blocking, no I/O, reads only the given
 * view. Returns null when none of the key's active groups serves the model with an active provider
 * key; the caller answers 404 model_not_found. Later implementations may add health and concurrency
 * to the choice without changing callers.
 */
public interface ModelRouter {

  /** The route for {@code model} requested with {@code key}, or null. */
  Route route(ConfigView view, ApiKey key, String model);

  /**
   * The public model names {@code key} can be routed to, sorted and without duplicates (GET
   * /v1/models).
   */
  List<String> models(ConfigView view, ApiKey key);
}
