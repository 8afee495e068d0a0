package dev.tollgate.bench.fleet;

import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.FlushResponse;
import dev.tollgate.proto.usage.v1.KeyDelta;
import dev.tollgate.proto.usage.v1.ProviderKeyDelta;
import dev.tollgate.proto.usage.v1.UsageBucket;
import dev.tollgate.proto.usage.v1.UsageServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One data plane as the control plane sees it: every interval its keys' counts grow (one tick of
 * traffic per key), and a flusher on its own thread drains them into a numbered batch and sends it
 * with {@code UsageService.Flush}, resending the same batch (same sequence) until it is
 * acknowledged, exactly as {@code UsageFlusher} of the data plane does. While a flush is slow the
 * ticks that fall due meanwhile are added to the counts of the next batch, so a slow control plane
 * shows up as a backlog (counted ticks not yet acknowledged), not as lost counts.
 *
 * <p>A drain larger than the byte budget goes out as several batches, one after the other, each
 * with its own sequence (the control plane's gRPC server refuses messages above its inbound limit).
 *
 * <p>Every count is deterministic ({@link #requestsOf}) and what the control plane acknowledged is
 * kept per key, so the caller can compare PostgreSQL with it exactly.
 */
final class SimulatedDataPlane implements Runnable {

  static final String MODEL = "gpt-4o-mini";
  static final int PROVIDER_KEYS = 20;

  private final String instanceId;
  private final long firstKey;
  private final int keys;
  private final long intervalMs;
  private final long startMs;
  private final long stopMs;
  private final long offsetMs;
  private final long maxBatchBytes;
  private final UsageServiceGrpc.UsageServiceBlockingStub stub;

  // Counted, not yet in a batch. Touched by this DP's thread only.
  private final long[] counted;
  private final long[] acknowledged;
  private long countedTicks;
  private long ticksGenerated;
  private long sequence;

  // Read by the reporting thread while the run goes on.
  private volatile long ticksOffered;
  private volatile long ticksAcknowledged;
  private volatile long deltasAcknowledged;
  private volatile long lastAcknowledgedSequence;
  private volatile long retries;
  private volatile String failure;
  private final List<long[]> latencies = new ArrayList<>(); // {sentAtMs, nanos}

  SimulatedDataPlane(
      String instanceId,
      long firstKey,
      int keys,
      long intervalMs,
      long startMs,
      long stopMs,
      long offsetMs,
      long maxBatchBytes,
      ManagedChannel channel,
      String token) {
    this.instanceId = instanceId;
    this.firstKey = firstKey;
    this.keys = keys;
    this.intervalMs = intervalMs;
    this.startMs = startMs;
    this.stopMs = stopMs;
    this.offsetMs = offsetMs;
    this.maxBatchBytes = maxBatchBytes;
    this.stub = UsageServiceGrpc.newBlockingStub(channel).withInterceptors(FleetSim.bearer(token));
    this.counted = new long[keys];
    this.acknowledged = new long[keys];
  }

  /** Requests of key {@code index} in tick {@code tick}: 1 to 3, never the same pattern twice. */
  static long requestsOf(long tick, int index) {
    return 1 + (tick + index) % 3;
  }

  @Override
  public void run() {
    try {
      long next = startMs + offsetMs;
      while (true) {
        sleepUntil(next);
        long now = System.currentTimeMillis();
        boolean last = now >= stopMs;
        generateDueTicks(Math.min(now, stopMs));
        if (countedTicks > 0) {
          flushAll();
        }
        if (last) {
          return;
        }
        next += intervalMs;
        // A flush slower than the interval: the next one starts now, with the ticks that fell due.
        next = Math.max(next, System.currentTimeMillis());
        if (next > stopMs) {
          next = stopMs;
        }
      }
    } catch (RuntimeException e) {
      failure = instanceId + ": " + e;
    }
  }

  private void generateDueTicks(long now) {
    long due = (now - startMs - offsetMs) / intervalMs + 1;
    for (; ticksGenerated < due; ticksGenerated++) {
      for (int i = 0; i < keys; i++) {
        counted[i] += requestsOf(ticksGenerated, i);
      }
      countedTicks++;
    }
    ticksOffered = ticksGenerated;
  }

  /**
   * Drains what is counted into batches of at most {@code maxBatchBytes} serialised, each with the
   * next sequence, and sends them one after the other, each until acknowledged.
   */
  private void flushAll() {
    long nowMs = System.currentTimeMillis();
    long minute = nowMs / 60_000 * 60;
    int from = 0;
    while (from < keys) {
      FlushRequest.Builder batch =
          FlushRequest.newBuilder().setDpInstanceId(instanceId).setSequence(++sequence);
      long[] providerRequests = new long[PROVIDER_KEYS + 1];
      long bytes = 64; // the instance id, sequence and provider-key deltas
      int to = from;
      for (; to < keys && bytes < maxBatchBytes; to++) {
        long requests = counted[to];
        if (requests == 0) {
          continue;
        }
        long keyId = firstKey + to;
        long providerKey = providerKeyOf(keyId);
        providerRequests[(int) providerKey] += requests;
        KeyDelta delta =
            KeyDelta.newBuilder()
                .setKeyId(keyId)
                .setCounters(counters(requests))
                .setLastAccessedAtUnixMs(nowMs)
                .build();
        UsageBucket bucket =
            UsageBucket.newBuilder()
                .setBucketStartUnixS(minute)
                .setKeyId(keyId)
                .setProviderKeyId(providerKey)
                .setModel(MODEL)
                .setCounters(counters(requests))
                .setLatencyMsSum(requests * 250)
                .build();
        batch.addKeyDeltas(delta).addBuckets(bucket);
        bytes += delta.getSerializedSize() + bucket.getSerializedSize() + 6;
      }
      for (int pk = 1; pk <= PROVIDER_KEYS; pk++) {
        if (providerRequests[pk] > 0) {
          batch.addProviderKeyDeltas(
              ProviderKeyDelta.newBuilder()
                  .setProviderKeyId(pk)
                  .setCounters(counters(providerRequests[pk]))
                  .setLatencyMsSum(providerRequests[pk] * 250)
                  .setLastUsedAtUnixMs(nowMs));
        }
      }
      flush(batch.build());
      for (int i = from; i < to; i++) {
        acknowledged[i] += counted[i];
        counted[i] = 0;
      }
      from = to;
    }
    ticksAcknowledged += countedTicks;
    countedTicks = 0;
  }

  /** Sends {@code batch} until acknowledged. */
  private void flush(FlushRequest batch) {
    while (true) {
      long sentAt = System.currentTimeMillis();
      long start = System.nanoTime();
      try {
        FlushResponse response = stub.withDeadlineAfter(120, TimeUnit.SECONDS).flush(batch);
        long nanos = System.nanoTime() - start;
        if (response.getDuplicate()) {
          throw new IllegalStateException(
              "batch " + batch.getSequence() + " answered as a duplicate on its first delivery");
        }
        synchronized (latencies) {
          latencies.add(new long[] {sentAt, nanos});
        }
        break;
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED) {
          throw e;
        }
        // Resent unchanged, as a data plane does: the control plane applies it at most once.
        retries++;
        sleepUntil(System.currentTimeMillis() + 200);
      }
    }
    lastAcknowledgedSequence = batch.getSequence();
    deltasAcknowledged += batch.getKeyDeltasCount();
  }

  static long providerKeyOf(long keyId) {
    return 1 + keyId % PROVIDER_KEYS;
  }

  static Counters counters(long requests) {
    return Counters.newBuilder()
        .setRequests(requests)
        .setSuccessRequests(requests)
        .setPromptTokens(requests * 100)
        .setCompletionTokens(requests * 20)
        .setTotalTokens(requests * 120)
        .build();
  }

  private static void sleepUntil(long atMs) {
    long wait = atMs - System.currentTimeMillis();
    if (wait > 0) {
      try {
        Thread.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  String instanceId() {
    return instanceId;
  }

  long firstKey() {
    return firstKey;
  }

  int keys() {
    return keys;
  }

  /** Key-deltas offered so far: ticks generated × keys. */
  long offered() {
    return ticksOffered * keys;
  }

  /** Key-deltas due by {@code nowMs}, whether or not this data plane's thread has counted them. */
  long offeredBy(long nowMs) {
    long end = Math.min(nowMs, stopMs);
    if (end < startMs + offsetMs) {
      return 0;
    }
    return ((end - startMs - offsetMs) / intervalMs + 1) * keys;
  }

  /** Offered key-deltas whose counts the control plane acknowledged. */
  long acknowledgedOffered() {
    return ticksAcknowledged * keys;
  }

  long deltasAcknowledged() {
    return deltasAcknowledged;
  }

  long lastAcknowledgedSequence() {
    return lastAcknowledgedSequence;
  }

  long retries() {
    return retries;
  }

  String failure() {
    return failure;
  }

  long[] acknowledgedRequests() {
    return acknowledged;
  }

  List<long[]> latencies() {
    synchronized (latencies) {
      return new ArrayList<>(latencies);
    }
  }
}
