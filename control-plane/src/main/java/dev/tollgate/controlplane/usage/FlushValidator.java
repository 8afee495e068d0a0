package dev.tollgate.controlplane.usage;

import dev.tollgate.proto.usage.v1.ConcurrencyAdjustment;
import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.ErrorEvent;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.KeyDelta;
import dev.tollgate.proto.usage.v1.ProviderKeyDelta;
import dev.tollgate.proto.usage.v1.UsageBucket;
import java.util.Set;

/**
 * Checks everything about a batch that needs no database: counts, sizes and shapes. Ids are checked
 * against the database inside the applying transaction ({@link FlushRepository}).
 */
public final class FlushValidator {

  static final int MAX_INSTANCE_ID_CHARS = 128;
  static final int MAX_MODEL_CHARS = 200;
  static final int MAX_MESSAGE_CHARS = 2000;
  static final int MAX_REQUEST_ID_CHARS = 200;
  static final int MAX_ERROR_CLASS_CHARS = 100;

  /** What provider_key.last_429_kind may hold (its CHECK constraint). */
  static final Set<String> KINDS_OF_429 = Set.of("rpm", "concurrency", "unknown");

  /** What concurrency_adjustment.reason may hold (its CHECK constraint). */
  static final Set<String> ADJUSTMENT_REASONS =
      Set.of("concurrency_429", "unknown_429", "increase", "probe", "reset");

  private FlushValidator() {}

  /**
   * @throws InvalidFlushException naming the first problem found
   */
  public static void validate(FlushRequest batch) {
    String instance = batch.getDpInstanceId();
    if (instance.isBlank() || instance.length() > MAX_INSTANCE_ID_CHARS) {
      throw new InvalidFlushException(
          "dp_instance_id must be 1.." + MAX_INSTANCE_ID_CHARS + " characters");
    }
    if (batch.getSequence() < 1) {
      throw new InvalidFlushException("sequence must be >= 1, was " + batch.getSequence());
    }
    if (batch.getErrorsDropped() < 0) {
      throw new InvalidFlushException("errors_dropped must not be negative");
    }
    for (int i = 0; i < batch.getKeyDeltasCount(); i++) {
      KeyDelta delta = batch.getKeyDeltas(i);
      String where = "key_deltas[" + i + "]";
      positiveId(delta.getKeyId(), where + ".key_id");
      counters(delta.getCounters(), where);
      if (delta.getLastAccessedAtUnixMs() < 0) {
        throw new InvalidFlushException(where + ".last_accessed_at_unix_ms must not be negative");
      }
    }
    for (int i = 0; i < batch.getProviderKeyDeltasCount(); i++) {
      ProviderKeyDelta delta = batch.getProviderKeyDeltas(i);
      String where = "provider_key_deltas[" + i + "]";
      positiveId(delta.getProviderKeyId(), where + ".provider_key_id");
      counters(delta.getCounters(), where);
      providerState(delta, where);
    }
    ProviderKeyHealthReports.validate(batch);
    for (int i = 0; i < batch.getAdjustmentsCount(); i++) {
      adjustment(batch.getAdjustments(i), "adjustments[" + i + "]");
    }
    for (int i = 0; i < batch.getBucketsCount(); i++) {
      UsageBucket bucket = batch.getBuckets(i);
      String where = "buckets[" + i + "]";
      if (bucket.getBucketStartUnixS() <= 0 || bucket.getBucketStartUnixS() % 60 != 0) {
        throw new InvalidFlushException(
            where + ".bucket_start_unix_s must be a positive multiple of 60");
      }
      positiveId(bucket.getKeyId(), where + ".key_id");
      optionalId(bucket.getProviderKeyId(), where + ".provider_key_id");
      text(bucket.getModel(), 1, MAX_MODEL_CHARS, where + ".model");
      counters(bucket.getCounters(), where);
      if (bucket.getLatencyMsSum() < 0) {
        throw new InvalidFlushException(where + ".latency_ms_sum must not be negative");
      }
    }
    for (int i = 0; i < batch.getErrorsCount(); i++) {
      ErrorEvent error = batch.getErrors(i);
      String where = "errors[" + i + "]";
      if (error.getOccurredAtUnixMs() <= 0) {
        throw new InvalidFlushException(where + ".occurred_at_unix_ms must be positive");
      }
      positiveId(error.getKeyId(), where + ".key_id");
      optionalId(error.getProviderKeyId(), where + ".provider_key_id");
      text(error.getModel(), 0, MAX_MODEL_CHARS, where + ".model");
      if (error.getStatusCode() < 100 || error.getStatusCode() > 599) {
        throw new InvalidFlushException(where + ".status_code must be an HTTP status (100..599)");
      }
      text(error.getErrorClass(), 1, MAX_ERROR_CLASS_CHARS, where + ".error_class");
      text(error.getMessage(), 0, MAX_MESSAGE_CHARS, where + ".message");
      text(error.getRequestId(), 0, MAX_REQUEST_ID_CHARS, where + ".request_id");
      if (error.getLatencyMs() < 0) {
        throw new InvalidFlushException(where + ".latency_ms must not be negative");
      }
    }
  }

  private static void providerState(ProviderKeyDelta delta, String where) {
    notNegative(delta.getLatencyMsSum(), where + ".latency_ms_sum");
    notNegative(delta.getUpstream429Rpm(), where + ".upstream_429_rpm");
    notNegative(delta.getUpstream429Concurrency(), where + ".upstream_429_concurrency");
    notNegative(delta.getUpstream429Unknown(), where + ".upstream_429_unknown");
    notNegative(delta.getLastUsedAtUnixMs(), where + ".last_used_at_unix_ms");
    notNegative(delta.getLast429AtUnixMs(), where + ".last_429_at_unix_ms");
    String kind = delta.getLast429Kind();
    if (delta.getLast429AtUnixMs() == 0 && !kind.isEmpty()) {
      throw new InvalidFlushException(
          where + ".last_429_kind must be empty when last_429_at_unix_ms is 0");
    }
    if (delta.getLast429AtUnixMs() > 0 && !KINDS_OF_429.contains(kind)) {
      throw new InvalidFlushException(
          where + ".last_429_kind must be rpm, concurrency or unknown, was \"" + kind + "\"");
    }
  }

  private static void adjustment(ConcurrencyAdjustment adjustment, String where) {
    positiveId(adjustment.getProviderKeyId(), where + ".provider_key_id");
    if (adjustment.getAtUnixMs() <= 0) {
      throw new InvalidFlushException(where + ".at_unix_ms must be positive");
    }
    if (adjustment.getOldLimit() < 1) {
      throw new InvalidFlushException(
          where + ".old_limit must be >= 1, was " + adjustment.getOldLimit());
    }
    if (adjustment.getNewLimit() < 1) {
      throw new InvalidFlushException(
          where + ".new_limit must be >= 1, was " + adjustment.getNewLimit());
    }
    if (!ADJUSTMENT_REASONS.contains(adjustment.getReason())) {
      throw new InvalidFlushException(
          where
              + ".reason must be one of concurrency_429, unknown_429, increase, probe, reset, was \""
              + adjustment.getReason()
              + "\"");
    }
    double utilisation = adjustment.getUtilisation();
    if (!Double.isFinite(utilisation) || utilisation < 0) {
      throw new InvalidFlushException(
          where + ".utilisation must be a finite number >= 0, was " + utilisation);
    }
  }

  private static void notNegative(long value, String field) {
    if (value < 0) {
      throw new InvalidFlushException(field + " must not be negative, was " + value);
    }
  }

  private static void counters(Counters c, String where) {
    if (c.getRequests() < 0
        || c.getSuccessRequests() < 0
        || c.getFailureRequests() < 0
        || c.getPromptTokens() < 0
        || c.getCompletionTokens() < 0
        || c.getTotalTokens() < 0
        || c.getRateLimitedRequests() < 0
        || c.getEstimatedRequests() < 0) {
      throw new InvalidFlushException(where + ".counters must not be negative");
    }
    // Written so that it cannot overflow: both terms are known to be non-negative here.
    if (c.getSuccessRequests() > c.getRequests()
        || c.getFailureRequests() > c.getRequests() - c.getSuccessRequests()) {
      throw new InvalidFlushException(
          where
              + ".counters: success_requests + failure_requests ("
              + c.getSuccessRequests()
              + " + "
              + c.getFailureRequests()
              + ") exceeds requests ("
              + c.getRequests()
              + ")");
    }
    // The contract counts a 429 among the failures and an estimated request among the requests.
    if (c.getRateLimitedRequests() > c.getFailureRequests()) {
      throw new InvalidFlushException(
          where
              + ".counters: rate_limited_requests ("
              + c.getRateLimitedRequests()
              + ") exceeds failure_requests ("
              + c.getFailureRequests()
              + ")");
    }
    if (c.getEstimatedRequests() > c.getRequests()) {
      throw new InvalidFlushException(
          where
              + ".counters: estimated_requests ("
              + c.getEstimatedRequests()
              + ") exceeds requests ("
              + c.getRequests()
              + ")");
    }
  }

  private static void positiveId(long id, String field) {
    if (id <= 0) {
      throw new InvalidFlushException(field + " must be a positive id, was " + id);
    }
  }

  private static void optionalId(long id, String field) {
    if (id < 0) {
      throw new InvalidFlushException(field + " must be a positive id or 0 for none, was " + id);
    }
  }

  private static void text(String value, int min, int max, String field) {
    if (value.length() < min || value.length() > max) {
      throw new InvalidFlushException(field + " must be " + min + ".." + max + " characters");
    }
  }
}
