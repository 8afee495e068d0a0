package dev.tollgate.dataplane.routing;

import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.ProviderKey;

/**
 * Where one try of a request goes.
 *
 * @param group the provider group serving the model (the client key's group, or a fallback group)
 * @param providerKey the upstream credential chosen within the group
 * @param upstreamModel the model name to send upstream (after the group's model_mapping)
 * @param lease the try's in-flight slot and circuit permission; end it when the try is over
 */
public record Route(
    ProviderGroup group, ProviderKey providerKey, String upstreamModel, UpstreamLease lease)
    implements RouteDecision {}
