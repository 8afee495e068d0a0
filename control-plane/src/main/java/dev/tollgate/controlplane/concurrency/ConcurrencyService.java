package dev.tollgate.controlplane.concurrency;

import dev.tollgate.controlplane.admin.KeysetCursor;
import dev.tollgate.controlplane.admin.ProblemException;
import dev.tollgate.controlplane.concurrency.ConcurrencyRepository.KeyState;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Assembles the adaptive-concurrency reads; every page reads one row more to know if more follow.
 */
@ApplicationScoped
public class ConcurrencyService {

  static final int RECENT_ADJUSTMENTS = 10;

  private final ConcurrencyRepository repository;

  ConcurrencyService(ConcurrencyRepository repository) {
    this.repository = repository;
  }

  AdaptiveKeyPage adaptiveKeys(Long groupId, String cursor, int limit) {
    long afterId = cursor == null ? 0 : KeysetCursor.decodeId("cursor", cursor);
    List<KeyState> rows = repository.adaptiveKeys(groupId, afterId, limit + 1);
    List<AdaptiveKeyView> items =
        rows.stream().limit(limit).map(ConcurrencyService::adaptiveView).toList();
    String next = rows.size() > limit ? KeysetCursor.encodeId(items.get(limit - 1).id()) : null;
    return new AdaptiveKeyPage(items, next);
  }

  ConcurrencyStatsView stats(long providerKeyId, String adjustmentsCursor, int limit) {
    KeyState key =
        repository
            .key(providerKeyId)
            .orElseThrow(() -> ProblemException.notFound("provider key", providerKeyId));
    KeysetCursor after =
        adjustmentsCursor == null
            ? null
            : KeysetCursor.decode("adjustments_cursor", adjustmentsCursor);
    List<AdjustmentView> rows = repository.adjustments(providerKeyId, after, limit + 1);
    List<AdjustmentView> items = rows.stream().limit(limit).toList();
    String next = null;
    if (rows.size() > limit) {
      AdjustmentView last = items.get(limit - 1);
      next = new KeysetCursor(last.adjustedAt(), last.id()).encode();
    }
    boolean fixed = key.maxConcurrent() != null;
    return new ConcurrencyStatsView(
        key.id(),
        key.groupId(),
        fixed ? "fixed" : "adaptive",
        key.maxConcurrent(),
        key.learnedMaxConcurrent(),
        fixed ? key.maxConcurrent() : key.learnedMaxConcurrent(),
        key.upstream429(),
        key.last429At(),
        key.last429Kind(),
        key.learningResetAt(),
        new AdjustmentPage(items, next));
  }

  AdaptiveSummaryView summary() {
    ConcurrencyRepository.Totals totals = repository.totals();
    return new AdaptiveSummaryView(
        totals.adaptiveKeys(),
        totals.fixedKeys(),
        totals.learnedKeys(),
        totals.upstream429(),
        repository.adjustmentsSince(Instant.now().minus(Duration.ofHours(24))),
        repository.recentAdjustments(RECENT_ADJUSTMENTS));
  }

  private static AdaptiveKeyView adaptiveView(KeyState key) {
    return new AdaptiveKeyView(
        key.id(),
        key.groupId(),
        key.status(),
        key.learnedMaxConcurrent(),
        key.upstream429(),
        key.last429At(),
        key.last429Kind(),
        key.learningResetAt());
  }
}
