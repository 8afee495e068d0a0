package dev.tollgate.dataplane.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.dataplane.config.ConfigView;
import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.config.v1.SnapshotChunk;
import dev.tollgate.proto.config.v1.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.MultiMap;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PriorityWeightedRouterTest {

  private final DataPlaneConfig config = TestConfig.with(Map.of());
  private final PriorityWeightedRouter router =
      new PriorityWeightedRouter(new ProviderKeyHealth(config, new SimpleMeterRegistry()), config);

  /** Routes and ends the try at once, as a request that finished. */
  private Route routeOnce(ConfigView view, ApiKey key, String model) {
    Route route = (Route) router.route(view, key, model);
    route.lease().answered(200, MultiMap.caseInsensitiveMultiMap());
    route.lease().end();
    return route;
  }

  private static ProviderKey providerKey(long id, long group, int priority, int weight, Status s) {
    return ProviderKey.newBuilder()
        .setId(id)
        .setGroupId(group)
        .setBaseUrl("http://upstream/v1")
        .setPriority(priority)
        .setWeight(weight)
        .setStatus(s)
        .build();
  }

  private static ProviderGroup group(long id, Status status, String... models) {
    ProviderGroup.Builder group = ProviderGroup.newBuilder().setId(id).setStatus(status);
    for (String model : models) {
      group.addModels(model);
    }
    return group.putModelMapping("public", "upstream-name").build();
  }

  @Test
  void choosesOnlyTheLowestActivePriorityTierByWeight() {
    // Given tier 1 = keys 1 (weight 3) and 2 (weight 1), key 3 disabled in tier 0, key 4 in tier 2
    ConfigView view =
        ConfigView.of(
            0,
            SnapshotChunk.newBuilder()
                .addProviderGroups(group(10, Status.STATUS_ACTIVE, "m"))
                .addProviderKeys(providerKey(1, 10, 1, 3, Status.STATUS_ACTIVE))
                .addProviderKeys(providerKey(2, 10, 1, 1, Status.STATUS_ACTIVE))
                .addProviderKeys(providerKey(3, 10, 0, 1, Status.STATUS_DISABLED))
                .addProviderKeys(providerKey(4, 10, 2, 100, Status.STATUS_ACTIVE))
                .build());
    ApiKey key = ApiKey.newBuilder().setId(1).addGroupIds(10).build();

    // When routing 40,000 requests
    Map<Long, Integer> chosen = new HashMap<>();
    for (int i = 0; i < 40_000; i++) {
      chosen.merge(routeOnce(view, key, "m").providerKey().getId(), 1, Integer::sum);
    }

    // Then only tier 1 serves, about 3:1
    assertThat(chosen).containsOnlyKeys(1L, 2L);
    assertThat(chosen.get(1L) / (double) chosen.get(2L)).isBetween(2.7, 3.3);
  }

  @Test
  void skipsDisabledGroupsGroupsWithoutActiveKeysAndGroupsTheKeyIsNotBoundTo() {
    // Given the model is served by: 20 disabled, 21 keyless, 22 not bound, 23 usable
    ConfigView view =
        ConfigView.of(
            0,
            SnapshotChunk.newBuilder()
                .addProviderGroups(group(20, Status.STATUS_DISABLED, "m"))
                .addProviderGroups(group(21, Status.STATUS_ACTIVE, "m"))
                .addProviderGroups(group(22, Status.STATUS_ACTIVE, "m"))
                .addProviderGroups(group(23, Status.STATUS_ACTIVE, "m", "public"))
                .addProviderKeys(providerKey(200, 20, 1, 1, Status.STATUS_ACTIVE))
                .addProviderKeys(providerKey(210, 21, 1, 1, Status.STATUS_DISABLED))
                .addProviderKeys(providerKey(220, 22, 1, 1, Status.STATUS_ACTIVE))
                .addProviderKeys(providerKey(230, 23, 1, 1, Status.STATUS_ACTIVE))
                .build());
    ApiKey key =
        ApiKey.newBuilder().setId(1).addGroupIds(20).addGroupIds(21).addGroupIds(23).build();

    // Then
    assertThat(routeOnce(view, key, "m").providerKey().getId()).isEqualTo(230);
    assertThat(routeOnce(view, key, "public").upstreamModel()).isEqualTo("upstream-name");
    assertThat(router.route(view, key, "other")).isNull();
    assertThat(router.models(view, key)).containsExactly("m", "public");
  }
}
