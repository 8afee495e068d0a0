package dev.tollgate.controlplane.usage;

import static dev.tollgate.controlplane.usage.UsageFixtures.batch;
import static dev.tollgate.controlplane.usage.UsageFixtures.counters;
import static dev.tollgate.controlplane.usage.UsageFixtures.keyDelta;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.FlushResponse;
import dev.tollgate.proto.usage.v1.UsageServiceGrpc;
import io.agroal.api.AgroalDataSource;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class FlushGrpcServiceTest {

  @GrpcClient("usage")
  Channel channel;

  @Inject AgroalDataSource dataSource;

  UsageFixtures fixtures;
  UsageServiceGrpc.UsageServiceBlockingStub usage;
  String instance;

  @BeforeEach
  void setUp() {
    fixtures = new UsageFixtures(dataSource);
    usage = withToken("test-internal-token");
    instance = "dp-" + UUID.randomUUID();
  }

  @Test
  void acknowledgesABatchAndReportsADuplicateDelivery() throws Exception {
    // Given a key and a batch for it
    long[] keys = fixtures.keys(fixtures.user(), 1);
    FlushRequest request =
        batch(instance, 1).addKeyDeltas(keyDelta(keys[0], counters(3, 2, 10, 5), 0)).build();

    // When it is delivered twice
    FlushResponse first = usage.flush(request);
    FlushResponse second = usage.flush(request);

    // Then the first applies it, the second applies nothing
    assertThat(first.getDuplicate()).isFalse();
    assertThat(first.getAppliedSequence()).isEqualTo(1);
    assertThat(second.getDuplicate()).isTrue();
    assertThat(second.getAppliedSequence()).isEqualTo(1);
    assertThat(fixtures.counters("api_key", keys[0])).containsExactly(3, 2, 1, 10, 5, 15);
  }

  @Test
  void acknowledgesABatchWithAnInvalidPartSayingHowManyPartsItKeptAside() throws Exception {
    // Given a batch whose only delta claims more successes than requests
    long[] keys = fixtures.keys(fixtures.user(), 1);
    Counters impossible = Counters.newBuilder().setRequests(1).setSuccessRequests(2).build();

    // When it is flushed
    FlushResponse response =
        usage.flush(batch(instance, 1).addKeyDeltas(keyDelta(keys[0], impossible, 0)).build());

    // Then it is acknowledged (the data plane moves on), with the part kept as a dead letter
    assertThat(response.getDuplicate()).isFalse();
    assertThat(response.getAppliedSequence()).isEqualTo(1);
    assertThat(response.getDeadLettered()).isEqualTo(1);
    assertThat(fixtures.counters("api_key", keys[0])).containsExactly(0, 0, 0, 0, 0, 0);
    assertThat(fixtures.deadLetters(instance)).hasSize(1);
  }

  @Test
  void acceptsABatchOfSeveralMebibytesFarOverTheOld256KibWall() throws Exception {
    // Given 12,000 keys and a batch with a bucket per key under a 200-code-point model name
    long[] keys = fixtures.keys(fixtures.user(), 12_000);
    String model = "m".repeat(199) + "\u00e9";
    FlushRequest.Builder batch = batch(instance, 1);
    for (long key : keys) {
      batch.addKeyDeltas(keyDelta(key, counters(1, 1, 1, 1), 0));
      batch.addBuckets(
          dev.tollgate.proto.usage.v1.UsageBucket.newBuilder()
              .setBucketStartUnixS(1_700_000_040L)
              .setKeyId(key)
              .setModel(model)
              .setCounters(counters(1, 1, 1, 1)));
    }
    FlushRequest request = batch.build();
    assertThat(request.getSerializedSize()).isGreaterThan(2 << 20);

    // When it is flushed, Then the control plane takes and applies it whole
    FlushResponse response = usage.flush(request);
    assertThat(response.getDeadLettered()).isZero();
    assertThat(
            fixtures.scalar("SELECT sum(requests) FROM usage_minute WHERE model = '" + model + "'"))
        .isEqualTo(12_000);
  }

  @Test
  void answersInvalidArgumentForAnInvalidEnvelope() throws Exception {
    long[] keys = fixtures.keys(fixtures.user(), 1);

    assertThatThrownBy(
            () ->
                usage.flush(
                    batch(instance, 0)
                        .addKeyDeltas(keyDelta(keys[0], counters(1, 1, 1, 1), 0))
                        .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("sequence must be >= 1");
            });
    assertThat(fixtures.counters("api_key", keys[0])).containsExactly(0, 0, 0, 0, 0, 0);
  }

  @Test
  void refusesACallWithoutTheInternalToken() throws Exception {
    long[] keys = fixtures.keys(fixtures.user(), 1);
    FlushRequest request =
        batch(instance, 1).addKeyDeltas(keyDelta(keys[0], counters(1, 1, 1, 1), 0)).build();

    for (UsageServiceGrpc.UsageServiceBlockingStub stub :
        new UsageServiceGrpc.UsageServiceBlockingStub[] {
          UsageServiceGrpc.newBlockingStub(channel), withToken("wrong-token")
        }) {
      assertThatThrownBy(() -> stub.flush(request))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }
    assertThat(fixtures.counters("api_key", keys[0])).containsExactly(0, 0, 0, 0, 0, 0);
  }

  private UsageServiceGrpc.UsageServiceBlockingStub withToken(String token) {
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return UsageServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }
}
