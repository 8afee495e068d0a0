package dev.tollgate.dataplane;

import dev.tollgate.dataplane.auth.TokenHashAuthenticator;
import dev.tollgate.proto.config.v1.ApiKey;
import dev.tollgate.proto.config.v1.ConfigChange;
import dev.tollgate.proto.config.v1.ConfigServiceGrpc;
import dev.tollgate.proto.config.v1.GetSnapshotRequest;
import dev.tollgate.proto.config.v1.ProviderGroup;
import dev.tollgate.proto.config.v1.ProviderKey;
import dev.tollgate.proto.config.v1.SnapshotBegin;
import dev.tollgate.proto.config.v1.SnapshotChunk;
import dev.tollgate.proto.config.v1.SnapshotEnd;
import dev.tollgate.proto.config.v1.SnapshotPart;
import dev.tollgate.proto.config.v1.Status;
import dev.tollgate.proto.config.v1.User;
import dev.tollgate.proto.config.v1.WatchRequest;
import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.FlushResponse;
import dev.tollgate.proto.usage.v1.KeyDelta;
import dev.tollgate.proto.usage.v1.UsageServiceGrpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process stand-in for the control plane's ConfigService and UsageService: serves a
 * configuration the test controls, pushes changes to Watch streams, and records every Flush call,
 * applying each (dp_instance_id, sequence) at most once as the real one does.
 */
public final class FakeControlPlane {

  public static final String INTERNAL_TOKEN = "test-internal-token";

  private final Server server;
  private final List<StreamObserver<ConfigChange>> watchers = new CopyOnWriteArrayList<>();
  private final List<FlushRequest> flushAttempts = new CopyOnWriteArrayList<>();
  private final List<FlushRequest> appliedBatches = new CopyOnWriteArrayList<>();
  private final Map<String, Long> ledger = new HashMap<>();
  private final AtomicInteger failAfterApplying = new AtomicInteger();
  private final AtomicInteger failBeforeApplying = new AtomicInteger();
  private final AtomicInteger unauthenticatedCalls = new AtomicInteger();
  private final AtomicInteger refuseAsInvalid = new AtomicInteger();

  private long revision = 1;
  private final Map<Long, User> users = new HashMap<>();
  private final Map<Long, ApiKey> keys = new HashMap<>();
  private final Map<Long, ProviderGroup> groups = new HashMap<>();
  private final Map<Long, ProviderKey> providerKeys = new HashMap<>();

  public FakeControlPlane() {
    this(0);
  }

  /** On a fixed port (0 = any), e.g. to stand in for a CP that restarts. */
  public FakeControlPlane(int port) {
    this(port, 4 << 20);
  }

  /** On a fixed port (0 = any), refusing messages over {@code maxInboundBytes}. */
  public FakeControlPlane(int port, int maxInboundBytes) {
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
            .maxInboundMessageSize(maxInboundBytes)
            .addService(ServerInterceptors.intercept(new Config(), new RequireToken()))
            .addService(ServerInterceptors.intercept(new Usage(), new RequireToken()))
            .build();
  }

  public FakeControlPlane start() throws IOException {
    server.start();
    return this;
  }

  public void stop() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  public int port() {
    return server.getPort();
  }

  // --- configuration -------------------------------------------------------------------------

  public synchronized void put(User user) {
    users.put(user.getId(), user);
  }

  public synchronized void put(ApiKey key) {
    keys.put(key.getId(), key);
  }

  public synchronized void put(ProviderGroup group) {
    groups.put(group.getId(), group);
  }

  public synchronized void put(ProviderKey providerKey) {
    providerKeys.put(providerKey.getId(), providerKey);
  }

  public synchronized ApiKey key(long id) {
    return keys.get(id);
  }

  /** An active key with this secret, for this user, bound to these groups. */
  public static ApiKey.Builder key(long id, long userId, String secret, long... groupIds) {
    ApiKey.Builder key =
        ApiKey.newBuilder()
            .setId(id)
            .setUserId(userId)
            .setTokenHash(TokenHashAuthenticator.sha256Hex(secret))
            .setStatus(Status.STATUS_ACTIVE)
            .setQuotaLimit(-1);
    for (long groupId : groupIds) {
      key.addGroupIds(groupId);
    }
    return key;
  }

  /** Commits a change at the next revision and pushes it to every Watch stream. */
  public void pushKey(ApiKey key) {
    ConfigChange change;
    synchronized (this) {
      keys.put(key.getId(), key);
      revision++;
      change =
          ConfigChange.newBuilder()
              .setAfterRevision(revision - 1)
              .setRevision(revision)
              .addKeys(key)
              .build();
    }
    for (StreamObserver<ConfigChange> watcher : watchers) {
      synchronized (watcher) {
        watcher.onNext(change);
      }
    }
  }

  /** Commits a provider key change at the next revision and pushes it to every Watch stream. */
  public void pushProviderKey(ProviderKey providerKey) {
    ConfigChange change;
    synchronized (this) {
      providerKeys.put(providerKey.getId(), providerKey);
      revision++;
      change =
          ConfigChange.newBuilder()
              .setAfterRevision(revision - 1)
              .setRevision(revision)
              .addProviderKeys(providerKey)
              .build();
    }
    for (StreamObserver<ConfigChange> watcher : watchers) {
      synchronized (watcher) {
        watcher.onNext(change);
      }
    }
  }

  public synchronized ProviderKey providerKey(long id) {
    return providerKeys.get(id);
  }

  public int watchers() {
    return watchers.size();
  }

  /** The whole configuration as the parts of one GetSnapshot stream (a single chunk). */
  private synchronized List<SnapshotPart> snapshot() {
    SnapshotChunk chunk =
        SnapshotChunk.newBuilder()
            .addAllUsers(users.values())
            .addAllKeys(keys.values())
            .addAllProviderGroups(groups.values())
            .addAllProviderKeys(providerKeys.values())
            .build();
    return List.of(
        SnapshotPart.newBuilder()
            .setBegin(SnapshotBegin.newBuilder().setRevision(revision))
            .build(),
        SnapshotPart.newBuilder().setChunk(chunk).build(),
        SnapshotPart.newBuilder()
            .setEnd(
                SnapshotEnd.newBuilder()
                    .setRevision(revision)
                    .setUsers(users.size())
                    .setKeys(keys.size())
                    .setProviderGroups(groups.size())
                    .setProviderKeys(providerKeys.size())
                    .setChunks(1))
            .build());
  }

  // --- usage -----------------------------------------------------------------------------------

  /**
   * The next {@code n} Flush calls are applied but answered UNAVAILABLE (a lost acknowledgement).
   */
  public void loseAcknowledgements(int n) {
    failAfterApplying.set(n);
  }

  /** The next {@code n} Flush calls fail with UNAVAILABLE before anything is applied. */
  public void refuseFlushes(int n) {
    failBeforeApplying.set(n);
  }

  /** The next {@code n} Flush calls are refused for good: INVALID_ARGUMENT, nothing applied. */
  public void refuseFlushesAsInvalid(int n) {
    refuseAsInvalid.set(n);
  }

  public List<FlushRequest> flushAttempts() {
    return new ArrayList<>(flushAttempts);
  }

  public List<FlushRequest> appliedBatches() {
    return new ArrayList<>(appliedBatches);
  }

  public int unauthenticatedCalls() {
    return unauthenticatedCalls.get();
  }

  /** What the CP would have added to the key, summed over every applied batch. */
  /**
   * The key's applied counters once no batch has changed them for {@code quiet}: a test taking a
   * "before" snapshot this way does not see an earlier test's requests, still in the data plane's
   * meter, land in the middle of its own count.
   */
  public Counters settledFor(long keyId, java.time.Duration quiet) {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(15).toNanos();
    Counters last = appliedFor(keyId);
    long quietSince = System.nanoTime();
    while (System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      Counters now = appliedFor(keyId);
      if (!now.equals(last)) {
        last = now;
        quietSince = System.nanoTime();
      } else if (System.nanoTime() - quietSince >= quiet.toNanos()) {
        return now;
      }
    }
    throw new IllegalStateException("the counters of key " + keyId + " kept changing for 15 s");
  }

  public Counters appliedFor(long keyId) {
    Counters.Builder sum = Counters.newBuilder();
    for (FlushRequest batch : appliedBatches) {
      for (KeyDelta delta : batch.getKeyDeltasList()) {
        if (delta.getKeyId() == keyId) {
          Counters c = delta.getCounters();
          sum.setRequests(sum.getRequests() + c.getRequests())
              .setSuccessRequests(sum.getSuccessRequests() + c.getSuccessRequests())
              .setFailureRequests(sum.getFailureRequests() + c.getFailureRequests())
              .setPromptTokens(sum.getPromptTokens() + c.getPromptTokens())
              .setCompletionTokens(sum.getCompletionTokens() + c.getCompletionTokens())
              .setTotalTokens(sum.getTotalTokens() + c.getTotalTokens())
              .setEstimatedRequests(sum.getEstimatedRequests() + c.getEstimatedRequests());
        }
      }
    }
    return sum.build();
  }

  private final class Config extends ConfigServiceGrpc.ConfigServiceImplBase {
    @Override
    public void getSnapshot(GetSnapshotRequest request, StreamObserver<SnapshotPart> response) {
      snapshot().forEach(response::onNext);
      response.onCompleted();
    }

    @Override
    public void watch(WatchRequest request, StreamObserver<ConfigChange> response) {
      long current;
      synchronized (FakeControlPlane.this) {
        current = revision;
      }
      // The DP reopens a Watch that stays silent (this fake sends no heartbeats); forget the old
      // one.
      ((ServerCallStreamObserver<ConfigChange>) response)
          .setOnCancelHandler(() -> watchers.remove(response));
      response.onNext(
          ConfigChange.newBuilder()
              .setAfterRevision(request.getAfterRevision())
              .setRevision(current)
              .build());
      watchers.add(response);
    }
  }

  private final class Usage extends UsageServiceGrpc.UsageServiceImplBase {
    @Override
    public void flush(FlushRequest request, StreamObserver<FlushResponse> response) {
      flushAttempts.add(request);
      if (failBeforeApplying.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        response.onError(io.grpc.Status.UNAVAILABLE.withDescription("refused").asException());
        return;
      }
      if (refuseAsInvalid.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        response.onError(
            io.grpc.Status.INVALID_ARGUMENT.withDescription("refused for good").asException());
        return;
      }
      boolean duplicate;
      long applied;
      synchronized (ledger) {
        long last = ledger.getOrDefault(request.getDpInstanceId(), 0L);
        duplicate = request.getSequence() <= last;
        if (!duplicate) {
          appliedBatches.add(request);
          ledger.put(request.getDpInstanceId(), request.getSequence());
        }
        applied = ledger.get(request.getDpInstanceId());
      }
      if (failAfterApplying.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        response.onError(io.grpc.Status.UNAVAILABLE.withDescription("ack lost").asException());
        return;
      }
      response.onNext(
          FlushResponse.newBuilder().setDuplicate(duplicate).setAppliedSequence(applied).build());
      response.onCompleted();
    }
  }

  private final class RequireToken implements ServerInterceptor {
    private final Metadata.Key<String> authorization =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      if (!("Bearer " + INTERNAL_TOKEN).equals(headers.get(authorization))) {
        unauthenticatedCalls.incrementAndGet();
        call.close(io.grpc.Status.UNAUTHENTICATED, new Metadata());
        return new ServerCall.Listener<>() {};
      }
      return next.startCall(call, headers);
    }
  }
}
