package dev.tollgate.dataplane.routing;

import dev.tollgate.dataplane.config.ConfigView;
import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.config.v1.Status;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The first of the key's active groups (by group id) that serves the model and has an active
 * provider key; within it the lowest priority value, and among keys of that priority a weighted
 * random choice (weights below 1 count as 1).
 */
@ApplicationScoped
public class PriorityWeightedRouter implements ModelRouter {

  @Override
  public Route route(ConfigView view, ApiKey key, String model) {
    for (ProviderGroup group : view.activeGroupsServing(model)) {
      if (!key.getGroupIdsList().contains(group.getId())) {
        continue;
      }
      ProviderKey providerKey = pick(view.activeProviderKeys(group.getId()));
      if (providerKey != null) {
        return new Route(group, providerKey, group.getModelMappingOrDefault(model, model));
      }
    }
    return null;
  }

  @Override
  public List<String> models(ConfigView view, ApiKey key) {
    TreeSet<String> models = new TreeSet<>();
    for (long groupId : key.getGroupIdsList()) {
      ProviderGroup group = view.group(groupId);
      if (group != null
          && group.getStatus() == Status.STATUS_ACTIVE
          && !view.activeProviderKeys(groupId).isEmpty()) {
        models.addAll(group.getModelsList());
      }
    }
    return new ArrayList<>(models);
  }

  /** Weighted choice within the lowest priority tier of keys sorted by priority. */
  static ProviderKey pick(List<ProviderKey> byPriority) {
    if (byPriority.isEmpty()) {
      return null;
    }
    int tierPriority = byPriority.get(0).getPriority();
    int tierSize = 0;
    long totalWeight = 0;
    while (tierSize < byPriority.size() && byPriority.get(tierSize).getPriority() == tierPriority) {
      totalWeight += Math.max(1, byPriority.get(tierSize).getWeight());
      tierSize++;
    }
    if (tierSize == 1) {
      return byPriority.get(0);
    }
    long ticket = ThreadLocalRandom.current().nextLong(totalWeight);
    for (int i = 0; i < tierSize; i++) {
      ticket -= Math.max(1, byPriority.get(i).getWeight());
      if (ticket < 0) {
        return byPriority.get(i);
      }
    }
    return byPriority.get(tierSize - 1);
  }
}
