package dev.tollgate.dataplane.usage;

import dev.tollgate.dataplane.DataPlaneConfig;
import dev.tollgate.dataplane.usage.UpstreamAttempt.Throttle;
import dev.tollgate.proto.usage.v1.ConcurrencyAdjustment;
import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.ErrorEvent;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.KeyDelta;
import dev.tollgate.proto.usage.v1.ProviderKeyDelta;
import dev.tollgate.proto.usage.v1.UsageBucket;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters in concurrent maps of {@link LongAdder}s, drained by swapping the whole accumulator.
 *
 * <p>Why a drain is exact. Reading and resetting adders one by one is not: a request recorded
 * between two fields' resets would be split across two batches (its success in one, its request in
 * the next, breaking success &le; requests). Instead each {@link #record} enters the accumulator it
 * read ({@code writers + 1}), re-checks that it is still the current one, writes all fields, and
 * leaves ({@code writers - 1}). {@link #drain} installs a fresh accumulator, then waits until the
 * old one's writer count is zero before reading it. Both the swap and the count are sequentially
 * consistent atomics, so a writer either re-checks after the swap (sees the new accumulator and
 * writes there instead, having written nothing to the old one) or entered before the drain read the
 * count (and is waited for). No request is lost or counted twice, and all fields of a request land
 * in the same batch. Writers never block; the drainer spins only for the few instructions a writer
 * needs to finish.
 *
 * <p>The writer count is striped ({@link Writers}): one shared counter would bounce one cache line
 * between every event loop twice per request. Each thread enters and leaves on the same stripe, so
 * every stripe holds the number of writers inside that map to it, never less; a writer that entered
 * before the swap is therefore seen in its stripe by the drain, whatever other stripes hold.
 */
@ApplicationScoped
public class InMemoryUsageMeter implements UsageMeter {

  /** Default of {@code tollgate.max-error-event-bytes-per-flush}. */
  static final int DEFAULT_MAX_ERROR_EVENT_BYTES = 262_144;

  private final int maxErrorEvents;
  private final int maxErrorEventBytes;
  private final AtomicReference<Accumulator> current;

  /**
   * Tokens per key from record until acknowledgement, outside the accumulators so that a drain does
   * not reset them: a batch in flight (or being resent) still counts against the quota.
   */
  private final ConcurrentHashMap<Long, LongAdder> unflushedTokens = new ConcurrentHashMap<>();

  @Inject
  InMemoryUsageMeter(DataPlaneConfig config) {
    this(config.maxErrorEventsPerFlush(), config.maxErrorEventBytesPerFlush());
  }

  /** A meter keeping at most {@code maxErrorEvents} error events per drain. */
  public InMemoryUsageMeter(int maxErrorEvents) {
    this(maxErrorEvents, DEFAULT_MAX_ERROR_EVENT_BYTES);
  }

  /**
   * A meter keeping at most {@code maxErrorEvents} error events of at most {@code
   * maxErrorEventBytes} serialised bytes in all per drain; the failures beyond are only counted, as
   * errors_dropped.
   */
  public InMemoryUsageMeter(int maxErrorEvents, int maxErrorEventBytes) {
    this.maxErrorEvents = maxErrorEvents;
    this.maxErrorEventBytes = maxErrorEventBytes;
    this.current = new AtomicReference<>(new Accumulator());
  }

  @Override
  public void record(RequestOutcome outcome) {
    while (true) {
      Accumulator accumulator = current.get();
      accumulator.writers.enter();
      try {
        if (accumulator == current.get()) {
          accumulator.add(outcome, maxErrorEvents, maxErrorEventBytes);
          long tokens = outcome.usage().totalTokens();
          if (tokens != 0) {
            unflushedTokens.computeIfAbsent(outcome.keyId(), id -> new LongAdder()).add(tokens);
          }
          return;
        }
      } finally {
        accumulator.writers.leave();
      }
    }
  }

  @Override
  public void recordAdjustment(ConcurrencyAdjustment adjustment) {
    while (true) {
      Accumulator accumulator = current.get();
      accumulator.writers.enter();
      try {
        if (accumulator == current.get()) {
          accumulator.adjustments.add(adjustment);
          return;
        }
      } finally {
        accumulator.writers.leave();
      }
    }
  }

  @Override
  public FlushRequest drain() {
    Accumulator drained = current.getAndSet(new Accumulator());
    while (drained.writers.inside()) {
      Thread.onSpinWait();
    }
    return drained.toBatch();
  }

  @Override
  public long unflushedTokens(long keyId) {
    LongAdder tokens = unflushedTokens.get(keyId);
    return tokens == null ? 0 : tokens.sum();
  }

  @Override
  public void acknowledged(FlushRequest batch) {
    for (KeyDelta delta : batch.getKeyDeltasList()) {
      long tokens = delta.getCounters().getTotalTokens();
      if (tokens != 0) {
        unflushedTokens.computeIfAbsent(delta.getKeyId(), id -> new LongAdder()).add(-tokens);
      }
    }
  }

  /** Counters of one key, provider key or bucket. */
  private static final class Cells {
    final LongAdder requests = new LongAdder();
    final LongAdder success = new LongAdder();
    final LongAdder failure = new LongAdder();
    final LongAdder rateLimited = new LongAdder();
    final LongAdder estimated = new LongAdder();
    final LongAdder prompt = new LongAdder();
    final LongAdder completion = new LongAdder();
    final LongAdder total = new LongAdder();
    final LongAdder latencyMs = new LongAdder();
    final LongAccumulator lastAccessMs = new LongAccumulator(Math::max, 0);

    /** Counts a client request: one request, its outcome and its tokens. */
    void add(RequestOutcome o) {
      count(o.success(), o.rateLimited());
      addTokens(o);
    }

    void count(boolean succeeded, boolean rateLimitedAnswer) {
      requests.increment();
      if (succeeded) {
        success.increment();
      } else {
        failure.increment();
      }
      if (rateLimitedAnswer) {
        rateLimited.increment();
      }
    }

    void addTokens(RequestOutcome o) {
      if (o.estimated()) {
        estimated.increment();
      }
      if (o.usage().promptTokens() != 0) {
        prompt.add(o.usage().promptTokens());
      }
      if (o.usage().completionTokens() != 0) {
        completion.add(o.usage().completionTokens());
      }
      if (o.usage().totalTokens() != 0) {
        total.add(o.usage().totalTokens());
      }
    }

    Counters counters() {
      return Counters.newBuilder()
          .setRequests(requests.sum())
          .setSuccessRequests(success.sum())
          .setFailureRequests(failure.sum())
          .setPromptTokens(prompt.sum())
          .setCompletionTokens(completion.sum())
          .setTotalTokens(total.sum())
          .setRateLimitedRequests(rateLimited.sum())
          .setEstimatedRequests(estimated.sum())
          .build();
    }
  }

  /**
   * A provider key's counters: each try counts as one of its requests; the tokens of the answer go
   * to the provider key of the last try.
   */
  private static final class ProviderKeyCells {
    final Cells cells = new Cells();
    final LongAdder throttledRpm = new LongAdder();
    final LongAdder throttledConcurrency = new LongAdder();
    final LongAdder throttledUnknown = new LongAdder();
    // The newest 429 as (time << 2 | kind ordinal): one lock-free max keeps time and kind together.
    final LongAccumulator last429 = new LongAccumulator(Math::max, 0);

    void addAttempt(UpstreamAttempt a) {
      cells.count(a.success(), a.status() == 429);
      cells.latencyMs.add(a.latencyMs());
      cells.lastAccessMs.accumulate(a.atMs());
      switch (a.throttle()) {
        case RPM -> throttledRpm.increment();
        case CONCURRENCY -> throttledConcurrency.increment();
        case UNKNOWN -> throttledUnknown.increment();
        case NONE -> {
          return;
        }
      }
      last429.accumulate((a.atMs() << 2) | a.throttle().ordinal());
    }

    ProviderKeyDelta.Builder delta(long providerKeyId) {
      ProviderKeyDelta.Builder delta =
          ProviderKeyDelta.newBuilder()
              .setProviderKeyId(providerKeyId)
              .setCounters(cells.counters())
              .setLatencyMsSum(cells.latencyMs.sum())
              .setUpstream429Rpm(throttledRpm.sum())
              .setUpstream429Concurrency(throttledConcurrency.sum())
              .setUpstream429Unknown(throttledUnknown.sum())
              .setLastUsedAtUnixMs(cells.lastAccessMs.get());
      long newest = last429.get();
      if (newest != 0) {
        delta
            .setLast429AtUnixMs(newest >>> 2)
            .setLast429Kind(Throttle.values()[(int) (newest & 3)].kind);
      }
      return delta;
    }
  }

  /** Writers inside one accumulator, counted on cache-line-padded stripes by thread. */
  static final class Writers {
    private static final int STRIPES = 16;
    // 16 ints = 64 bytes between two stripes: one cache line each.
    private static final int SPACING = 16;
    private final AtomicIntegerArray counts = new AtomicIntegerArray(STRIPES * SPACING);

    private static int slot() {
      return (int) (Thread.currentThread().getId() & (STRIPES - 1)) * SPACING;
    }

    void enter() {
      counts.incrementAndGet(slot());
    }

    void leave() {
      counts.decrementAndGet(slot());
    }

    boolean inside() {
      for (int i = 0; i < STRIPES; i++) {
        if (counts.get(i * SPACING) != 0) {
          return true;
        }
      }
      return false;
    }
  }

  private record BucketKey(long minuteStartS, long keyId, long providerKeyId, String model) {}

  private static final class Accumulator {
    final Writers writers = new Writers();
    final ConcurrentHashMap<Long, Cells> keys = new ConcurrentHashMap<>();
    final ConcurrentHashMap<Long, ProviderKeyCells> providerKeys = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<ConcurrencyAdjustment> adjustments = new ConcurrentLinkedQueue<>();
    final ConcurrentHashMap<BucketKey, Cells> buckets = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<ErrorEvent> errors = new ConcurrentLinkedQueue<>();
    final AtomicInteger errorCount = new AtomicInteger();
    final AtomicLong errorBytes = new AtomicLong();
    final LongAdder errorsDropped = new LongAdder();

    void add(RequestOutcome o, int maxErrorEvents, int maxErrorEventBytes) {
      Cells key = keys.computeIfAbsent(o.keyId(), id -> new Cells());
      key.add(o);
      key.lastAccessMs.accumulate(o.startedAtMs());
      for (UpstreamAttempt attempt : o.attempts()) {
        providerKeys
            .computeIfAbsent(attempt.providerKeyId(), id -> new ProviderKeyCells())
            .addAttempt(attempt);
      }
      if (o.providerKeyId() != 0) {
        providerKeys
            .computeIfAbsent(o.providerKeyId(), id -> new ProviderKeyCells())
            .cells
            .addTokens(o);
      }
      String model = WireText.clean(o.model(), WireText.MAX_MODEL);
      long minute = Math.floorDiv(o.startedAtMs(), 60_000L) * 60L;
      Cells bucket =
          buckets.computeIfAbsent(
              new BucketKey(minute, o.keyId(), o.providerKeyId(), model), k -> new Cells());
      bucket.add(o);
      bucket.latencyMs.add(o.latencyMs());
      if (!o.success()) {
        // Bounded in number and in bytes: the batch carrying them must stay well under the
        // control plane's inbound limit, whatever the clients and upstreams wrote.
        ErrorEvent event = errorCount.incrementAndGet() <= maxErrorEvents ? errorEvent(o) : null;
        if (event != null
            && errorBytes.addAndGet(event.getSerializedSize()) <= maxErrorEventBytes) {
          errors.add(event);
        } else {
          errorsDropped.increment();
        }
      }
    }

    FlushRequest toBatch() {
      FlushRequest.Builder batch = FlushRequest.newBuilder();
      for (Map.Entry<Long, Cells> e : keys.entrySet()) {
        batch.addKeyDeltas(
            KeyDelta.newBuilder()
                .setKeyId(e.getKey())
                .setCounters(e.getValue().counters())
                .setLastAccessedAtUnixMs(e.getValue().lastAccessMs.get()));
      }
      for (Map.Entry<Long, ProviderKeyCells> e : providerKeys.entrySet()) {
        batch.addProviderKeyDeltas(e.getValue().delta(e.getKey()));
      }
      for (Map.Entry<BucketKey, Cells> e : buckets.entrySet()) {
        BucketKey k = e.getKey();
        batch.addBuckets(
            UsageBucket.newBuilder()
                .setBucketStartUnixS(k.minuteStartS())
                .setKeyId(k.keyId())
                .setProviderKeyId(k.providerKeyId())
                .setModel(k.model())
                .setCounters(e.getValue().counters())
                .setLatencyMsSum(e.getValue().latencyMs.sum()));
      }
      batch.addAllErrors(errors);
      batch.addAllAdjustments(adjustments);
      batch.setErrorsDropped(errorsDropped.sum());
      return batch.build();
    }

    private static ErrorEvent errorEvent(RequestOutcome o) {
      String errorClass = WireText.clean(o.errorClass(), WireText.MAX_ERROR_CLASS);
      return ErrorEvent.newBuilder()
          .setOccurredAtUnixMs(o.startedAtMs())
          .setKeyId(o.keyId())
          .setProviderKeyId(o.providerKeyId())
          .setModel(
              WireText.clean(
                  o.requestedModel().isEmpty() ? o.model() : o.requestedModel(),
                  WireText.MAX_MODEL))
          .setStatusCode(o.status())
          .setErrorClass(errorClass.isEmpty() ? "unknown" : errorClass)
          .setMessage(WireText.clean(o.message(), WireText.MAX_MESSAGE))
          .setLatencyMs(o.latencyMs())
          .setRequestId(WireText.clean(o.requestId(), WireText.MAX_REQUEST_ID))
          .build();
    }
  }
}
