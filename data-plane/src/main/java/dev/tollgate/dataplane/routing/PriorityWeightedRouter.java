package dev.tollgate.dataplane.routing;

import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.dataplane.config.ConfigView;
import dev.tollgate.dataplane.routing.ProviderKeyHealth.Availability;
import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.config.v1.Status;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Groups: the client key's active groups serving the model, by group id; each followed by its
 * fallback chain ({@code fallback_group_id}, at most {@value #MAX_FALLBACK_HOPS} hops, whether or
 * not the key is bound to it: the fallback is the operator's choice for the group), used when every
 * provider key of the group is unusable.
 *
 * <p>Within a group: the lowest priority value whose tier has a usable key; among the usable keys
 * of that tier a weighted random choice (weights below 1 count as 1). Usable = not tried by this
 * request, not taken out after a 401/403, not cooling down after a 429, in flight below its fixed
 * or learned limit, and a circuit that grants a permission (closed, or half-open with its probe
 * free).
 */
@ApplicationScoped
public class PriorityWeightedRouter implements ModelRouter {

  static final int MAX_FALLBACK_HOPS = 3;

  private final ProviderKeyHealth health;
  private final long openRetryAfterSeconds;

  PriorityWeightedRouter(ProviderKeyHealth health, DataPlaneConfig config) {
    this.health = health;
    this.openRetryAfterSeconds = Math.max(1, config.routing().circuit().openDuration().toSeconds());
  }

  @Override
  public RouteDecision route(ConfigView view, ApiKey key, String model, Collection<Long> tried) {
    long now = System.currentTimeMillis();
    Refusals refusals = new Refusals();
    boolean served = false;
    for (ProviderGroup bound : view.activeGroupsServing(model)) {
      if (!key.getGroupIdsList().contains(bound.getId())) {
        continue;
      }
      ProviderGroup group = bound;
      for (int hop = 0; group != null && hop <= MAX_FALLBACK_HOPS; hop++) {
        List<ProviderKey> keys = view.activeProviderKeys(group.getId());
        if (!keys.isEmpty()) {
          served = true;
          Route route = pick(group, keys, model, tried, now, refusals);
          if (route != null) {
            return route;
          }
        }
        group = fallback(view, group);
      }
    }
    return served ? refusals.unavailable(model, openRetryAfterSeconds) : null;
  }

  private static ProviderGroup fallback(ConfigView view, ProviderGroup group) {
    if (group.getFallbackGroupId() == 0 || group.getFallbackGroupId() == group.getId()) {
      return null;
    }
    ProviderGroup next = view.group(group.getFallbackGroupId());
    return next != null && next.getStatus() == Status.STATUS_ACTIVE ? next : null;
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

  /** The first usable key by tier and weight, with its lease; null when none (refusals noted). */
  private Route pick(
      ProviderGroup group,
      List<ProviderKey> byPriority,
      String model,
      Collection<Long> tried,
      long now,
      Refusals refusals) {
    int start = 0;
    while (start < byPriority.size()) {
      int priority = byPriority.get(start).getPriority();
      int end = start;
      while (end < byPriority.size() && byPriority.get(end).getPriority() == priority) {
        end++;
      }
      Route route = pickInTier(group, byPriority.subList(start, end), model, tried, now, refusals);
      if (route != null) {
        return route;
      }
      start = end;
    }
    return null;
  }

  private Route pickInTier(
      ProviderGroup group,
      List<ProviderKey> tier,
      String model,
      Collection<Long> tried,
      long now,
      Refusals refusals) {
    // The common case, one key or all usable, allocates nothing beyond the candidates array.
    ProviderKey[] candidates = new ProviderKey[tier.size()];
    ProviderKeyState[] candidateStates = new ProviderKeyState[tier.size()];
    int count = 0;
    long totalWeight = 0;
    for (ProviderKey providerKey : tier) {
      if (!tried.isEmpty() && tried.contains(providerKey.getId())) {
        continue;
      }
      ProviderKeyState state = health.state(providerKey);
      Availability availability = health.availability(state, now);
      if (availability != Availability.USABLE) {
        refusals.note(availability, health.cooldownRemainingMs(state, now));
        continue;
      }
      candidates[count] = providerKey;
      candidateStates[count] = state;
      totalWeight += weight(providerKey);
      count++;
    }
    while (count > 0) {
      int chosen = 0;
      if (count > 1) {
        long ticket = ThreadLocalRandom.current().nextLong(totalWeight);
        while (chosen < count - 1) {
          ticket -= weight(candidates[chosen]);
          if (ticket < 0) {
            break;
          }
          chosen++;
        }
      }
      UpstreamLease lease = health.tryAcquire(candidateStates[chosen], now);
      ProviderKey providerKey = candidates[chosen];
      if (lease != null) {
        return new Route(group, providerKey, group.getModelMappingOrDefault(model, model), lease);
      }
      refusals.note(Availability.OPEN, 0);
      totalWeight -= weight(providerKey);
      count--;
      candidates[chosen] = candidates[count];
      candidateStates[chosen] = candidateStates[count];
    }
    return null;
  }

  private static long weight(ProviderKey providerKey) {
    return Math.max(1, providerKey.getWeight());
  }

  /** Why the keys of a request's groups were passed over, for the error the client gets. */
  private static final class Refusals {
    private int resting;
    private int open;
    private int out;
    private long soonestMs = Long.MAX_VALUE;

    void note(Availability availability, long remainingMs) {
      switch (availability) {
        case FULL -> {
          resting++;
          soonestMs = Math.min(soonestMs, 1000);
        }
        case COOLING -> {
          resting++;
          soonestMs = Math.min(soonestMs, remainingMs);
        }
        case OPEN -> open++;
        case OUT -> out++;
        default -> {}
      }
    }

    /** Resting keys come back soonest, so they decide first; then open circuits; then refusals. */
    Unavailable unavailable(String model, long openRetryAfterSeconds) {
      if (resting > 0) {
        return new Unavailable(
            Unavailable.Reason.RATE_LIMITED, model, Math.max(1, (soonestMs + 999) / 1000));
      }
      if (open > 0 || out == 0) {
        return new Unavailable(Unavailable.Reason.FAILING, model, openRetryAfterSeconds);
      }
      return new Unavailable(Unavailable.Reason.CREDENTIALS_REFUSED, model, 0);
    }
  }
}
