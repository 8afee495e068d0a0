package dev.tollgate.dataplane.routing;

import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.ProviderKey;

/**
 * Where one request goes.
 *
 * @param group the provider group serving the model for this client key
 * @param providerKey the upstream credential chosen within the group
 * @param upstreamModel the model name to send upstream (after the group's model_mapping)
 */
public record Route(ProviderGroup group, ProviderKey providerKey, String upstreamModel) {}
