package dev.tollgate.dataplane;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;

/**
 * The app the routing tests run against: only {@link RoutingTestResource} (not the shared {@link
 * GatewayTestResource}, whose tests steer errors through one key on purpose), with the default
 * failover and circuit settings and short waits.
 */
public class RoutingTestProfile implements QuarkusTestProfile {

  @Override
  public List<TestResourceEntry> testResources() {
    return List.of(new TestResourceEntry(RoutingTestResource.class));
  }

  @Override
  public boolean disableGlobalTestResources() {
    return true;
  }
}
