package dev.tollgate.dataplane.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.proto.config.v1.SnapshotChunk;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

class ConfigReplicaHealthCheckTest {

  @Test
  void isDownUntilTheFirstSnapshotIsLoadedThenUp() {
    // Given a replica with nothing loaded
    ConfigReplica replica = new ConfigReplica();
    ConfigReplicaHealthCheck check = new ConfigReplicaHealthCheck(replica);
    assertThat(check.call().getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
    assertThat(replica.secondsSinceLastUpdate()).isEqualTo(-1);

    // When a snapshot arrives
    replica.replace(ConfigView.of(7, SnapshotChunk.newBuilder().build()));

    // Then it is ready, at that revision
    HealthCheckResponse response = check.call();
    assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.Status.UP);
    assertThat(response.getData().orElseThrow()).containsEntry("revision", 7L);
    assertThat(replica.secondsSinceLastUpdate()).isBetween(0.0, 5.0);
  }
}
