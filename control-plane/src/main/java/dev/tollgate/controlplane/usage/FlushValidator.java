package dev.tollgate.controlplane.usage;

import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.ErrorEvent;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.KeyDelta;
import dev.tollgate.proto.usage.v1.ProviderKeyDelta;
import dev.tollgate.proto.usage.v1.UsageBucket;

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

  private static void counters(Counters c, String where) {
    if (c.getRequests() < 0
        || c.getSuccessRequests() < 0
        || c.getFailureRequests() < 0
        || c.getPromptTokens() < 0
        || c.getCompletionTokens() < 0
        || c.getTotalTokens() < 0) {
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
