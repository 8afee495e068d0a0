package dev.tollgate.dataplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.dataplane.ControlPlaneChannel;
import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.dataplane.Eventually;
import dev.tollgate.dataplane.FakeControlPlane;
import dev.tollgate.dataplane.routing.TestConfig;
import dev.tollgate.dataplane.upstream.TokenUsage;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.UsageBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The flusher against a real gRPC server standing in for the control plane: what it does when the
 * control plane goes away and comes back, refuses a batch for good, or gets more than one message
 * may hold. No Quarkus: the flusher, its client and the channel are the production classes, wired
 * by hand.
 */
class UsageFlusherRecoveryTest {

  private FakeControlPlane controlPlane;
  private ControlPlaneChannel channel;
  private UsageFlusher flusher;
  private InMemoryUsageMeter meter;
  private SimpleMeterRegistry registry;

  @AfterEach
  void tearDown() throws Exception {
    if (flusher != null) {
      flusher.onStop(null);
    }
    if (channel != null) {
      channel.close();
    }
    if (controlPlane != null) {
      controlPlane.stop();
    }
  }

  @Test
  void sendsTheFirstFlushWithinASecondOfTheControlPlaneComingBack() throws Exception {
    // Given a flusher whose backoff would grow to 30 s, flushing to a control plane on a fixed port
    int port = freePort();
    controlPlane = new FakeControlPlane(port).start();
    start(port, Map.of("tollgate.flush-interval", "1s", "tollgate.flush-max-backoff", "30s"));
    meter.record(outcome(1, "gpt-4o-mini"));
    Eventually.within(
        Duration.ofSeconds(5),
        () -> assertThat(controlPlane.appliedFor(1).getRequests()).isEqualTo(1));

    // When the control plane is gone for 8 s (attempts back off to 1, 2, 4, 8 s meanwhile) while
    // a request is counted, and then comes back on the same port
    controlPlane.stop();
    meter.record(outcome(1, "gpt-4o-mini"));
    Thread.sleep(8_000);
    controlPlane = new FakeControlPlane(port).start();
    long back = System.nanoTime();

    // Then the pending batch reaches it within a second of its return, not after the backoff
    Eventually.within(
        Duration.ofSeconds(20),
        () -> assertThat(controlPlane.appliedFor(1).getRequests()).isEqualTo(1));
    long resumedMs = (System.nanoTime() - back) / 1_000_000;
    System.out.printf("Flush resumed %d ms after the control plane came back%n", resumedMs);
    assertThat(resumedMs).isLessThan(1_000);
  }

  @Test
  void dropsABatchRefusedForGoodCountsItAndFlushesTheNextSequence() throws Exception {
    // Given a control plane that will refuse the next batch as invalid
    controlPlane = new FakeControlPlane().start();
    controlPlane.refuseFlushesAsInvalid(1);
    start(controlPlane.port(), Map.of("tollgate.flush-interval", "200ms"));

    // When one request is counted, and another after the refusal
    meter.record(outcome(1, "gpt-4o-mini"));
    Eventually.within(
        Duration.ofSeconds(5), () -> assertThat(controlPlane.flushAttempts()).hasSize(1));
    meter.record(outcome(2, "gpt-4o-mini"));

    // Then the refused batch is never resent, the next sequence is applied, and the drop counted
    Eventually.within(
        Duration.ofSeconds(5),
        () -> assertThat(controlPlane.appliedFor(2).getRequests()).isEqualTo(1));
    List<FlushRequest> attempts = controlPlane.flushAttempts();
    assertThat(attempts.get(0).getSequence()).isEqualTo(1);
    assertThat(attempts.stream().filter(b -> b.getSequence() == 1)).hasSize(1);
    assertThat(controlPlane.appliedBatches().get(0).getSequence()).isEqualTo(2);
    assertThat(registry.find("tollgate.flush.batches").tag("outcome", "rejected").counter().count())
        .isEqualTo(1);
    assertThat(meter.unflushedTokens(1)).isZero();
  }

  @Test
  void splitsWhatOneIntervalCountedUnderTheByteBudgetAndAppliesEachPartOnce() throws Exception {
    // Given a control plane that refuses messages over 1 MiB and loses its first acknowledgement,
    // and a flusher with a 1 MiB budget
    int budget = 1 << 20;
    controlPlane = new FakeControlPlane(0, budget).start();
    controlPlane.loseAcknowledgements(1);
    start(controlPlane.port(), Map.of("tollgate.flush-max-batch-bytes", Integer.toString(budget)));

    // When 20,000 keys each answer a request under its own long model name, in one interval
    int keys = 20_000;
    for (int key = 1; key <= keys; key++) {
      // Cut to 200 code points by the meter; mostly three-byte characters in UTF-8.
      String model = "k" + key + "-" + "\u6a21".repeat(200);
      meter.record(outcome(key, model));
    }

    // Then every key arrives exactly once, in batches under the budget numbered in order (the
    // buckets travel after the key deltas, so the last bucket arrives with the last batch)
    Eventually.within(
        Duration.ofSeconds(60),
        () ->
            assertThat(
                    controlPlane.appliedBatches().stream()
                        .mapToLong(FlushRequest::getBucketsCount)
                        .sum())
                .isEqualTo(keys));
    List<FlushRequest> applied = controlPlane.appliedBatches();
    long total = applied.stream().mapToLong(FlushRequest::getSerializedSize).sum();
    System.out.printf(
        "%d keys flushed as %d batches, %d bytes in all, largest %d bytes%n",
        keys,
        applied.size(),
        total,
        applied.stream().mapToInt(FlushRequest::getSerializedSize).max().orElseThrow());
    assertThat(total).isGreaterThan(4L * budget);
    assertThat(applied)
        .allSatisfy(b -> assertThat(b.getSerializedSize()).isLessThanOrEqualTo(budget));
    for (int i = 0; i < applied.size(); i++) {
      assertThat(applied.get(i).getSequence()).isEqualTo(i + 1);
    }
    Map<Long, Long> requestsByKey = new HashMap<>();
    long buckets = 0;
    for (FlushRequest batch : applied) {
      batch
          .getKeyDeltasList()
          .forEach(
              d -> requestsByKey.merge(d.getKeyId(), d.getCounters().getRequests(), Long::sum));
      for (UsageBucket bucket : batch.getBucketsList()) {
        assertThat(bucket.getModel().codePointCount(0, bucket.getModel().length()))
            .isLessThanOrEqualTo(WireText.MAX_MODEL);
        buckets += bucket.getCounters().getRequests();
      }
    }
    assertThat(requestsByKey)
        .hasSize(keys)
        .allSatisfy((key, requests) -> assertThat(requests).isEqualTo(1));
    assertThat(buckets).isEqualTo(keys);
    // And the batch whose acknowledgement was lost was resent unchanged, and applied once
    assertThat(controlPlane.flushAttempts().stream().filter(b -> b.getSequence() == 1)).hasSize(2);
  }

  private void start(int port, Map<String, String> overrides) {
    Map<String, String> settings = new HashMap<>();
    settings.put("tollgate.control-plane", "127.0.0.1:" + port);
    settings.put("tollgate.internal-token", FakeControlPlane.INTERNAL_TOKEN);
    settings.put("tollgate.flush-interval", "200ms");
    settings.put("tollgate.flush-timeout", "2s");
    settings.put("tollgate.shutdown-flush-timeout", "1s");
    settings.putAll(overrides);
    DataPlaneConfig config = TestConfig.with(settings);
    channel = new ControlPlaneChannel(config);
    meter = new InMemoryUsageMeter(1000);
    registry = new SimpleMeterRegistry();
    flusher =
        new UsageFlusher(
            meter, nowMs -> List.of(), new UsageFlushClient(channel), config, registry);
    flusher.onStart(null);
  }

  private static RequestOutcome outcome(long keyId, String model) {
    return new RequestOutcome(
        keyId,
        0,
        model,
        model,
        200,
        true,
        new TokenUsage(1, 1, 2),
        false,
        System.currentTimeMillis(),
        5,
        null,
        null,
        "req-" + keyId,
        List.of());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
