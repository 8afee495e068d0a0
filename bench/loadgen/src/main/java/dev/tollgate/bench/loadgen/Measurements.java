package dev.tollgate.bench.loadgen;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * What the measured window of one run saw. Written from any event-loop thread (the histograms are
 * wait-free for writers), read once after the run ended.
 *
 * <p>Latencies are recorded in nanoseconds with three significant digits, up to one minute; a
 * longer one is clamped to a minute rather than dropped, so it still shows in the max.
 */
final class Measurements {

  private static final long HIGHEST_NANOS = TimeUnit.MINUTES.toNanos(1);

  /** From the request's intended start (fixed rate) or its send (saturation) to its last byte. */
  final Histogram latency = new ConcurrentHistogram(HIGHEST_NANOS, 3);

  /** From the intended start (fixed) or send (saturation) to the response's status line. */
  final Histogram firstByte = new ConcurrentHistogram(HIGHEST_NANOS, 3);

  /** From the moment the client actually sent the request to its last byte. */
  final Histogram service = new ConcurrentHistogram(HIGHEST_NANOS, 3);

  private final LongAdder ok = new LongAdder();
  private final LongAdder bytesIn = new LongAdder();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  private volatile String firstError;

  void recordSuccess(
      long originNanos, long sentNanos, long headersNanos, long endNanos, long bytes) {
    latency.recordValue(clamp(endNanos - originNanos));
    firstByte.recordValue(clamp(headersNanos - originNanos));
    service.recordValue(clamp(endNanos - sentNanos));
    ok.increment();
    bytesIn.add(bytes);
  }

  /**
   * Counts a failed request.
   *
   * @param kind a short class such as {@code status_502}, {@code io}, {@code timeout} or {@code
   *     bad_tail}
   * @param detail what happened, kept for the first error only
   */
  void recordError(String kind, String detail) {
    errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    if (firstError == null) {
      firstError = kind + ": " + detail;
    }
  }

  long ok() {
    return ok.sum();
  }

  long bytesIn() {
    return bytesIn.sum();
  }

  long errorCount() {
    return errors.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /** Errors by kind, sorted by kind. */
  Map<String, Long> errorsByKind() {
    Map<String, Long> byKind = new TreeMap<>();
    errors.forEach((kind, count) -> byKind.put(kind, count.sum()));
    return byKind;
  }

  /** The first error seen, or null. */
  String firstError() {
    return firstError;
  }

  private static long clamp(long nanos) {
    return Math.max(0, Math.min(nanos, HIGHEST_NANOS));
  }
}
