package dev.tollgate.controlplane.config;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.admin.AdminApi.createGroup;
import static dev.tollgate.controlplane.admin.AdminApi.createKey;
import static dev.tollgate.controlplane.admin.AdminApi.createProviderKey;
import static dev.tollgate.controlplane.admin.AdminApi.createUser;
import static dev.tollgate.controlplane.admin.AdminApi.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tollgate.controlplane.keys.ApiKeyService;
import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.ConfigChange;
import dev.tollgate.proto.config.v1.ConfigServiceGrpc;
import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.config.v1.Status;
import dev.tollgate.proto.config.v1.WatchRequest;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ConfigGrpcServiceTest {

  private static final Duration SOON = Duration.ofSeconds(5);

  @GrpcClient("config")
  Channel channel;

  /** tollgate.watch.message-budget-bytes in the test profile. */
  private static final int BUDGET = 16384;

  @Inject ConfigChangePoller poller;

  @Inject javax.sql.DataSource dataSource;

  private ConfigServiceGrpc.ConfigServiceBlockingStub blocking;
  private ConfigServiceGrpc.ConfigServiceStub async;

  @BeforeEach
  void stubs() {
    blocking = ConfigServiceGrpc.newBlockingStub(channel);
    async = ConfigServiceGrpc.newStub(channel);
  }

  @Test
  void snapshotCarriesEverythingADataPlaneNeeds() {
    // Given
    long userId = createUser();
    long groupId =
        asOperator()
            .body(
                Map.of(
                    "name", unique("snap"),
                    "platform", "openai",
                    "models", List.of("gpt-4o", "gpt-4o-mini"),
                    "model_mapping", Map.of("gpt-4o", "gpt-4o-2024-08-06")))
            .post("/admin/v1/provider-groups")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath()
            .getLong("id");
    long providerKeyId = createProviderKey(groupId, "sk-snapshot-secret-1234");
    var active = createKey(userId, List.of(groupId));
    long revokedId = createKey(userId, List.of(groupId)).getLong("id");
    asOperator().delete("/admin/v1/keys/" + revokedId).then().statusCode(204);

    // When
    StreamedSnapshot snapshot = StreamedSnapshot.read(authorized(blocking));

    // Then
    assertThat(snapshot.getRevision()).isPositive();
    assertThat(snapshot.getUsersList())
        .anySatisfy(
            user -> {
              assertThat(user.getId()).isEqualTo(userId);
              assertThat(user.getStatus()).isEqualTo(Status.STATUS_ACTIVE);
            });
    ApiKey key = keyIn(snapshot.getKeysList(), active.getLong("id"));
    assertThat(key.getTokenHash()).isEqualTo(ApiKeyService.sha256Hex(active.getString("key")));
    assertThat(key.getUserId()).isEqualTo(userId);
    assertThat(key.getStatus()).isEqualTo(Status.STATUS_ACTIVE);
    assertThat(key.getGroupIdsList()).containsExactly(groupId);
    assertThat(key.getExpiresAtUnixMs()).isZero();
    assertThat(key.getQuotaLimit()).isEqualTo(-1);
    assertThat(snapshot.getKeysList()).noneMatch(k -> k.getId() == revokedId);
    ProviderGroup group =
        snapshot.getProviderGroupsList().stream()
            .filter(g -> g.getId() == groupId)
            .findFirst()
            .orElseThrow();
    assertThat(group.getPlatform()).isEqualTo("openai");
    assertThat(group.getModelsList()).containsExactly("gpt-4o", "gpt-4o-mini");
    assertThat(group.getModelMappingMap()).containsEntry("gpt-4o", "gpt-4o-2024-08-06");
    assertThat(group.getStatus()).isEqualTo(Status.STATUS_ACTIVE);
    ProviderKey providerKey =
        snapshot.getProviderKeysList().stream()
            .filter(p -> p.getId() == providerKeyId)
            .findFirst()
            .orElseThrow();
    assertThat(providerKey.getSecret()).isEqualTo("sk-snapshot-secret-1234");
    assertThat(providerKey.getBaseUrl()).isEqualTo("https://api.openai.com/v1");
    assertThat(providerKey.getGroupId()).isEqualTo(groupId);
    assertThat(providerKey.getMaxConcurrent()).isZero();
    assertThat(providerKey.getWeight()).isEqualTo(1);
  }

  @Test
  void watchStartsWithEverythingChangedAfterTheGivenRevision() throws Exception {
    // Given
    long before = StreamedSnapshot.read(authorized(blocking)).getRevision();
    long userId = createUser();
    long disabledId = createKey(userId, List.of()).getLong("id");
    asOperator()
        .body(Map.of("status", "disabled"))
        .patch("/admin/v1/keys/" + disabledId)
        .then()
        .statusCode(200);

    // When
    var stream = watch(before);
    try {
      ConfigChange first = stream.next(SOON);

      // Then
      assertThat(first.getRevision()).isGreaterThan(before);
      assertThat(first.getUsersList()).anyMatch(user -> user.getId() == userId);
      assertThat(keyIn(first.getKeysList(), disabledId).getStatus())
          .isEqualTo(Status.STATUS_DISABLED);
    } finally {
      stream.cancel();
    }
  }

  @Test
  void watchDeliversARevokeWithinTwoSeconds() throws Exception {
    // Given a data plane watching from the current revision
    long keyId = createKey(createUser(), List.of()).getLong("id");
    long current = StreamedSnapshot.read(authorized(blocking)).getRevision();
    var stream = watch(current);
    try {
      stream.next(SOON);

      // When
      long start = System.nanoTime();
      asOperator().delete("/admin/v1/keys/" + keyId).then().statusCode(204);
      ConfigChange change =
          stream.awaitMatching(
              message ->
                  message.getKeysList().stream()
                      .anyMatch(k -> k.getId() == keyId && k.getStatus() == Status.STATUS_REVOKED),
              SOON);
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

      // Then
      assertThat(elapsed).isLessThan(Duration.ofSeconds(2));
      assertThat(change.getRevision()).isGreaterThan(current);
    } finally {
      stream.cancel();
    }
  }

  @Test
  void watchSendsHeartbeatsWhileNothingChanges() throws Exception {
    // Given (the test profile sets the heartbeat interval to 1 s)
    long current = StreamedSnapshot.read(authorized(blocking)).getRevision();
    var stream = watch(current);
    try {
      ConfigChange first = stream.next(SOON);

      // When
      ConfigChange heartbeat = stream.next(Duration.ofSeconds(3));

      // Then
      assertThat(heartbeat.getRevision()).isEqualTo(first.getRevision());
      assertThat(heartbeat.getKeysCount() + heartbeat.getUsersCount()).isZero();
    } finally {
      stream.cancel();
    }
  }

  @Test
  void cancelledWatchLeavesNoSubscriptionBehind() throws Exception {
    // Given
    int before = poller.subscriberCount();
    var stream = watch(currentRevision());
    stream.next(SOON);
    assertThat(poller.subscriberCount()).isEqualTo(before + 1);

    // When
    stream.cancel();

    // Then, well before the 4 s maximum stream age of the test profile could end it
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
    while (poller.subscriberCount() > before && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(poller.subscriberCount()).isEqualTo(before);
  }

  @Test
  void watchEndsNormallyAtItsMaximumAgeSoTheDataPlaneResumes() throws Exception {
    // Given (the test profile caps a stream's age at 4 s)
    var stream = watch(currentRevision());
    stream.next(SOON);

    // When
    Throwable end = stream.ended.get(8, TimeUnit.SECONDS);

    // Then
    assertThat(end).isNull();
  }

  @Test
  void watchRefusesARevisionAheadOfTheControlPlane() throws Exception {
    var stream = watch(Long.MAX_VALUE / 2);

    Throwable end = stream.ended.get(5, TimeUnit.SECONDS);

    assertThat(end).isInstanceOf(StatusRuntimeException.class);
    assertThat(((StatusRuntimeException) end).getStatus().getCode())
        .isEqualTo(io.grpc.Status.Code.OUT_OF_RANGE);
  }

  @Test
  void rejectsCallsWithoutTheInternalToken() {
    assertThatThrownBy(() -> StreamedSnapshot.read(blocking))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e ->
                assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAUTHENTICATED));
  }

  @Test
  void rejectsCallsWithAWrongInternalToken() {
    var wrong = withToken(blocking, "not-the-token");

    assertThatThrownBy(() -> StreamedSnapshot.read(wrong))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e ->
                assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAUTHENTICATED));
  }

  @Test
  void rejectsWatchWithoutTheInternalToken() throws Exception {
    var stream = new WatchStream();
    async.watch(WatchRequest.newBuilder().setAfterRevision(0).build(), stream);

    Throwable end = stream.ended.get(5, TimeUnit.SECONDS);

    assertThat(((StatusRuntimeException) end).getStatus().getCode())
        .isEqualTo(io.grpc.Status.Code.UNAUTHENTICATED);
    assertThat(stream.messages).isEmpty();
  }

  @Test
  void replicatesFallbacksLearningResetsOverridesAndRotatedHashes() throws Exception {
    // Given
    long before = StreamedSnapshot.read(authorized(blocking)).getRevision();
    long userId = createUser();
    long fallback = createGroup();
    long groupId = createGroup();
    asOperator()
        .body(Map.of("fallback_group_id", fallback))
        .patch("/admin/v1/provider-groups/" + groupId)
        .then()
        .statusCode(200);
    long providerKeyId = createProviderKey(groupId, "sk-replicated-secret-0001");
    asOperator()
        .post("/admin/v1/provider-keys/" + providerKeyId + "/concurrency/reset")
        .then()
        .statusCode(200);
    asOperator()
        .body("{\"rpm_override\":0}")
        .put("/admin/v1/users/" + userId + "/group-limits/" + groupId)
        .then()
        .statusCode(200);
    long keyId = createKey(userId, List.of(groupId)).getLong("id");
    String rotated =
        asOperator()
            .post("/admin/v1/keys/" + keyId + "/rotate")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getString("key");

    // When
    StreamedSnapshot snapshot = StreamedSnapshot.read(authorized(blocking));
    var stream = watch(before);
    ConfigChange change;
    try {
      change = stream.next(SOON);
    } finally {
      stream.cancel();
    }

    // Then
    for (var groups : List.of(snapshot.getProviderGroupsList(), change.getProviderGroupsList())) {
      assertThat(groups)
          .anySatisfy(
              g -> {
                assertThat(g.getId()).isEqualTo(groupId);
                assertThat(g.getFallbackGroupId()).isEqualTo(fallback);
              });
    }
    for (var keys : List.of(snapshot.getProviderKeysList(), change.getProviderKeysList())) {
      assertThat(keys)
          .anySatisfy(
              p -> {
                assertThat(p.getId()).isEqualTo(providerKeyId);
                assertThat(p.getLearningResetAtUnixMs()).isPositive();
                assertThat(p.getLearnedMaxConcurrent()).isZero();
              });
    }
    for (var limits : List.of(snapshot.getUserGroupLimitsList(), change.getUserGroupLimitsList())) {
      assertThat(limits)
          .anySatisfy(
              l -> {
                assertThat(l.getUserId()).isEqualTo(userId);
                assertThat(l.getGroupId()).isEqualTo(groupId);
                assertThat(l.hasRpmOverride()).isTrue();
                assertThat(l.getRpmOverride()).isZero();
              });
    }
    assertThat(keyIn(change.getKeysList(), keyId).getTokenHash())
        .isEqualTo(ApiKeyService.sha256Hex(rotated));
  }

  @Test
  void deletedEntitiesLeaveTheSnapshotAndReachWatchersAsDeleted() throws Exception {
    // Given
    long userId = createUser();
    long groupId = createGroup();
    long providerKeyId = createProviderKey(groupId, "sk-deleted-secret-0001");
    asOperator()
        .body("{\"rpm_override\":5}")
        .put("/admin/v1/users/" + userId + "/group-limits/" + groupId)
        .then()
        .statusCode(200);
    long before = StreamedSnapshot.read(authorized(blocking)).getRevision();

    // When
    asOperator()
        .delete("/admin/v1/users/" + userId + "/group-limits/" + groupId)
        .then()
        .statusCode(204);
    asOperator().delete("/admin/v1/users/" + userId).then().statusCode(204);
    asOperator().delete("/admin/v1/provider-keys/" + providerKeyId).then().statusCode(204);
    asOperator().delete("/admin/v1/provider-groups/" + groupId).then().statusCode(204);
    StreamedSnapshot snapshot = StreamedSnapshot.read(authorized(blocking));
    var stream = watch(before);
    ConfigChange change;
    try {
      change = stream.next(SOON);
    } finally {
      stream.cancel();
    }

    // Then
    assertThat(snapshot.getUsersList()).noneMatch(u -> u.getId() == userId);
    assertThat(snapshot.getProviderGroupsList()).noneMatch(g -> g.getId() == groupId);
    assertThat(snapshot.getProviderKeysList()).noneMatch(p -> p.getId() == providerKeyId);
    assertThat(snapshot.getUserGroupLimitsList())
        .noneMatch(l -> l.getUserId() == userId && l.getGroupId() == groupId);
    assertThat(change.getUsersList())
        .anyMatch(u -> u.getId() == userId && u.getStatus() == Status.STATUS_DELETED);
    assertThat(change.getProviderGroupsList())
        .anyMatch(g -> g.getId() == groupId && g.getStatus() == Status.STATUS_DELETED);
    assertThat(change.getProviderKeysList())
        .anyMatch(p -> p.getId() == providerKeyId && p.getStatus() == Status.STATUS_DELETED);
    assertThat(change.getUserGroupLimitsList())
        .anyMatch(l -> l.getUserId() == userId && l.getGroupId() == groupId && !l.hasRpmOverride());
  }

  @Test
  void aSnapshotOfThousandsOfKeysArrivesInChunksUnderTheBudget() throws Exception {
    // Given (the test profile sets the message budget to 16 KiB)
    long userId = createUser();
    List<Long> ids = insertKeys(userId, 3000);

    // When
    StreamedSnapshot snapshot = StreamedSnapshot.read(authorized(blocking));

    // Then every key is there once, in many chunks, none holding several entities over the budget
    // (other tests of this database may leave a provider key with a secret over the budget, which
    // travels alone)
    assertThat(snapshot.getKeysList().stream().map(ApiKey::getId).filter(ids::contains))
        .hasSize(ids.size())
        .doesNotHaveDuplicates();
    assertThat(snapshot.end().getChunks()).isGreaterThan(20);
    assertThat(snapshot.sharedSizes())
        .isNotEmpty()
        .allSatisfy(size -> assertThat(size).isLessThanOrEqualTo(BUDGET + 16));
  }

  @Test
  void aChangeSetOverTheBudgetIsSplitIntoPartsOfOneRevision() throws Exception {
    // Given a watcher at the current revision
    long userId = createUser();
    long before = StreamedSnapshot.read(authorized(blocking)).getRevision();
    var stream = watch(before);
    try {
      stream.next(SOON);

      // When 2,000 keys change in one revision
      List<Long> ids = insertKeys(userId, 2000);

      // Then they arrive as several parts sharing one revision, all but the last continued
      ConfigChange part = stream.awaitMatching(m -> m.getKeysCount() > 0, SOON);
      List<ConfigChange> parts = new java.util.ArrayList<>(List.of(part));
      while (part.getContinued()) {
        part = stream.next(SOON);
        parts.add(part);
      }
      assertThat(parts).hasSizeGreaterThan(5);
      assertThat(parts)
          .allSatisfy(
              p -> {
                assertThat(p.getRevision()).isEqualTo(parts.get(0).getRevision());
                assertThat(p.getAfterRevision()).isEqualTo(parts.get(0).getAfterRevision());
                assertThat(p.getSerializedSize()).isLessThanOrEqualTo(BUDGET + 16);
              });
      assertThat(parts.get(0).getRevision()).isGreaterThan(before);
      assertThat(parts.stream().flatMap(p -> p.getKeysList().stream()).map(ApiKey::getId))
          .containsExactlyInAnyOrderElementsOf(ids);
    } finally {
      stream.cancel();
    }
  }

  @Test
  void aWatcherFurtherBehindThanTheChangeLimitIsSentToASnapshot() throws Exception {
    // Given (the test profile allows 5,000 entities per change set)
    long userId = createUser();
    long before = StreamedSnapshot.read(authorized(blocking)).getRevision();
    insertKeys(userId, 5001);

    // When
    var stream = watch(before);
    Throwable end = stream.ended.get(10, TimeUnit.SECONDS);

    // Then
    assertThat(end).isInstanceOf(StatusRuntimeException.class);
    assertThat(((StatusRuntimeException) end).getStatus().getCode())
        .isEqualTo(io.grpc.Status.Code.OUT_OF_RANGE);
    assertThat(((StatusRuntimeException) end).getStatus().getDescription())
        .contains("load a new snapshot");
  }

  /** Inserts keys for the user in one config revision, as a bulk operation would. */
  private List<Long> insertKeys(long userId, int count) throws Exception {
    String tag = unique("bulk");
    try (var connection = dataSource.getConnection();
        var statement =
            connection.prepareStatement(
                "WITH r AS (UPDATE config_state SET revision = revision + 1 WHERE id = 1"
                    + " RETURNING revision)"
                    + " INSERT INTO api_key (user_id, name, prefix, token_hash, config_revision)"
                    + " SELECT ?, 'bulk-' || n, 'tg-bulk', md5(? || n) || md5(n || ?), r.revision"
                    + " FROM generate_series(1, ?) n, r RETURNING id")) {
      statement.setLong(1, userId);
      statement.setString(2, tag);
      statement.setString(3, tag);
      statement.setInt(4, count);
      List<Long> ids = new java.util.ArrayList<>();
      try (var rows = statement.executeQuery()) {
        while (rows.next()) {
          ids.add(rows.getLong(1));
        }
      }
      return ids;
    }
  }

  private long currentRevision() {
    return StreamedSnapshot.read(authorized(blocking)).getRevision();
  }

  private WatchStream watch(long afterRevision) {
    var stream = new WatchStream();
    authorized(async)
        .watch(WatchRequest.newBuilder().setAfterRevision(afterRevision).build(), stream);
    return stream;
  }

  private static ApiKey keyIn(List<ApiKey> keys, long id) {
    return keys.stream().filter(k -> k.getId() == id).findFirst().orElseThrow();
  }

  private static <S extends io.grpc.stub.AbstractStub<S>> S authorized(S stub) {
    return withToken(stub, "test-internal-token");
  }

  private static <S extends io.grpc.stub.AbstractStub<S>> S withToken(S stub, String token) {
    var headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }
}
