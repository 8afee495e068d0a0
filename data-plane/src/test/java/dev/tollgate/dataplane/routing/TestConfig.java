package dev.tollgate.dataplane.routing;

import dev.tollgate.dataplane.DataPlaneConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.Map;

/** The data plane's real config mapping, built outside Quarkus with the defaults and overrides. */
public final class TestConfig {

  private TestConfig() {}

  public static DataPlaneConfig with(Map<String, String> overrides) {
    SmallRyeConfig config =
        new SmallRyeConfigBuilder()
            .withMapping(DataPlaneConfig.class)
            .withConverter(Duration.class, 200, new DurationConverter())
            .withDefaultValues(overrides)
            .build();
    return config.getConfigMapping(DataPlaneConfig.class);
  }
}
