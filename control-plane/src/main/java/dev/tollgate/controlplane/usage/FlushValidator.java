package dev.tollgate.controlplane.usage;

import com.google.protobuf.Message;
import dev.tollgate.controlplane.usage.DeadLetter.Part;
import dev.tollgate.controlplane.usage.DeadLetter.Reason;
import dev.tollgate.proto.usage.v1.AdjustmentReason;
import dev.tollgate.proto.usage.v1.ConcurrencyAdjustment;
import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.ErrorEvent;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.KeyDelta;
import dev.tollgate.proto.usage.v1.ProviderKeyDelta;
import dev.tollgate.proto.usage.v1.ProviderKeyHealthReport;
import dev.tollgate.proto.usage.v1.ThrottleKind;
import dev.tollgate.proto.usage.v1.UsageBucket;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Every rule of usage.proto that needs no database, in one place: the envelope, counts, times,
 * enums and text ({@link WireText}). Ids are checked against the database inside the applying
 * transaction ({@link FlushRepository}).
 *
 * <p>The rule it serves: a batch is refused whole only for its envelope (dp_instance_id, sequence),
 * since a batch without one cannot be recorded exactly once. Any other rule applies per item: an
 * item breaking one becomes a {@link DeadLetter} and the rest of the batch is applied.
 */
public final class FlushValidator {

  private FlushValidator() {}

  /**
   * Splits {@code batch} into what may be applied and what is dead-lettered.
   *
   * @throws InvalidFlushException when the envelope is invalid; nothing of the batch can be applied
   */
  public static CheckedBatch check(FlushRequest batch) {
    String instance = batch.getDpInstanceId();
    String instanceProblem = WireText.problem(instance, 1, WireText.MAX_INSTANCE_ID);
    if (instanceProblem != null || instance.isBlank()) {
      throw new InvalidFlushException(
          "dp_instance_id "
              + (instanceProblem != null ? instanceProblem : "must not be blank")
              + " (1.."
              + WireText.MAX_INSTANCE_ID
              + " code points of text)");
    }
    if (batch.getSequence() < 1) {
      throw new InvalidFlushException("sequence must be >= 1, was " + batch.getSequence());
    }
    CheckedBatch.Builder checked = new CheckedBatch.Builder(batch);
    if (batch.getErrorsDropped() < 0) {
      checked.reject(
          Part.ERRORS_DROPPED,
          0,
          "errors_dropped must not be negative, was " + batch.getErrorsDropped(),
          FlushRequest.newBuilder().setErrorsDropped(batch.getErrorsDropped()).build());
    } else {
      checked.valid.setErrorsDropped(batch.getErrorsDropped());
    }
    keep(checked, Part.KEY_DELTA, "key_deltas", batch.getKeyDeltasList(), FlushValidator::key);
    keep(
        checked,
        Part.PROVIDER_KEY_DELTA,
        "provider_key_deltas",
        batch.getProviderKeyDeltasList(),
        FlushValidator::providerKey);
    keep(
        checked,
        Part.ADJUSTMENT,
        "adjustments",
        batch.getAdjustmentsList(),
        FlushValidator::adjustment);
    keep(checked, Part.BUCKET, "buckets", batch.getBucketsList(), FlushValidator::bucket);
    keep(checked, Part.ERROR, "errors", batch.getErrorsList(), FlushValidator::error);
    keep(
        checked,
        Part.PROVIDER_KEY_HEALTH,
        "provider_key_health",
        batch.getProviderKeyHealthList(),
        FlushValidator::health);
    return checked.build();
  }

  /** A rule over one item: throws {@link Invalid} naming the field (relative to the item). */
  private interface Rule<T> {
    void check(T item);
  }

  private static <T extends Message> void keep(
      CheckedBatch.Builder checked, Part part, String list, List<T> items, Rule<T> rule) {
    for (int i = 0; i < items.size(); i++) {
      T item = items.get(i);
      try {
        rule.check(item);
        checked.keep(part, i, item);
      } catch (Invalid e) {
        checked.reject(part, i, list + "[" + i + "]." + e.getMessage(), item);
      }
    }
  }

  private static void key(KeyDelta delta) {
    positiveId(delta.getKeyId(), "key_id");
    counters(delta.getCounters());
    notNegative(delta.getLastAccessedAtUnixMs(), "last_accessed_at_unix_ms");
  }

  private static void providerKey(ProviderKeyDelta delta) {
    positiveId(delta.getProviderKeyId(), "provider_key_id");
    counters(delta.getCounters());
    notNegative(delta.getLatencyMsSum(), "latency_ms_sum");
    notNegative(delta.getUpstream429Rpm(), "upstream_429_rpm");
    notNegative(delta.getUpstream429Concurrency(), "upstream_429_concurrency");
    notNegative(delta.getUpstream429Unknown(), "upstream_429_unknown");
    notNegative(delta.getLastUsedAtUnixMs(), "last_used_at_unix_ms");
    notNegative(delta.getLast429AtUnixMs(), "last_429_at_unix_ms");
    ThrottleKind kind = delta.getLast429Kind();
    if (delta.getLast429AtUnixMs() == 0 && kind != ThrottleKind.THROTTLE_KIND_UNSPECIFIED) {
      throw new Invalid("last_429_kind must be unspecified when last_429_at_unix_ms is 0");
    }
    if (delta.getLast429AtUnixMs() > 0 && Kinds.of429(kind) == null) {
      throw new Invalid(
          "last_429_kind must be rpm, concurrency or unknown when last_429_at_unix_ms is set, was "
              + delta.getLast429KindValue());
    }
  }

  private static void adjustment(ConcurrencyAdjustment adjustment) {
    positiveId(adjustment.getProviderKeyId(), "provider_key_id");
    if (adjustment.getAtUnixMs() <= 0) {
      throw new Invalid("at_unix_ms must be positive");
    }
    if (adjustment.getOldLimit() < 1) {
      throw new Invalid("old_limit must be >= 1, was " + adjustment.getOldLimit());
    }
    if (adjustment.getNewLimit() < 1) {
      throw new Invalid("new_limit must be >= 1, was " + adjustment.getNewLimit());
    }
    if (Kinds.ofAdjustment(adjustment.getReason()) == null) {
      throw new Invalid(
          "reason must be one of concurrency_429, unknown_429, increase, probe, reset, was "
              + adjustment.getReasonValue());
    }
    double utilisation = adjustment.getUtilisation();
    if (!Double.isFinite(utilisation) || utilisation < 0) {
      throw new Invalid("utilisation must be a finite number >= 0, was " + utilisation);
    }
  }

  private static void bucket(UsageBucket bucket) {
    if (bucket.getBucketStartUnixS() <= 0 || bucket.getBucketStartUnixS() % 60 != 0) {
      throw new Invalid("bucket_start_unix_s must be a positive multiple of 60");
    }
    positiveId(bucket.getKeyId(), "key_id");
    optionalId(bucket.getProviderKeyId(), "provider_key_id");
    text(bucket.getModel(), 1, WireText.MAX_MODEL, "model");
    counters(bucket.getCounters());
    notNegative(bucket.getLatencyMsSum(), "latency_ms_sum");
  }

  private static void error(ErrorEvent error) {
    if (error.getOccurredAtUnixMs() <= 0) {
      throw new Invalid("occurred_at_unix_ms must be positive");
    }
    positiveId(error.getKeyId(), "key_id");
    optionalId(error.getProviderKeyId(), "provider_key_id");
    text(error.getModel(), 0, WireText.MAX_MODEL, "model");
    if (error.getStatusCode() < 100 || error.getStatusCode() > 599) {
      throw new Invalid("status_code must be an HTTP status (100..599)");
    }
    text(error.getErrorClass(), 1, WireText.MAX_ERROR_CLASS, "error_class");
    text(error.getMessage(), 0, WireText.MAX_MESSAGE, "message");
    text(error.getRequestId(), 0, WireText.MAX_REQUEST_ID, "request_id");
    notNegative(error.getLatencyMs(), "latency_ms");
  }

  private static void health(ProviderKeyHealthReport report) {
    positiveId(report.getProviderKeyId(), "provider_key_id");
    if (ProviderKeyHealthReports.STATES.get(report.getCircuitState()) == null) {
      throw new Invalid(
          "circuit_state must be CLOSED, OPEN or HALF_OPEN, was " + report.getCircuitStateValue());
    }
    notNegative(report.getCooldownUntilUnixMs(), "cooldown_until_unix_ms");
    notNegative(report.getConsecutiveFailures(), "consecutive_failures");
    if (report.getObservedAtUnixMs() <= 0) {
      throw new Invalid("observed_at_unix_ms must be positive");
    }
  }

  private static void notNegative(long value, String field) {
    if (value < 0) {
      throw new Invalid(field + " must not be negative, was " + value);
    }
  }

  private static void counters(Counters c) {
    for (UsageCounter counter : UsageCounter.ALL) {
      if (counter.of(c) < 0) {
        throw new Invalid("counters." + counter.column + " must not be negative");
      }
    }
    // Written so that it cannot overflow: both terms are known to be non-negative here.
    if (c.getSuccessRequests() > c.getRequests()
        || c.getFailureRequests() > c.getRequests() - c.getSuccessRequests()) {
      throw new Invalid(
          "counters: success_requests + failure_requests ("
              + c.getSuccessRequests()
              + " + "
              + c.getFailureRequests()
              + ") exceeds requests ("
              + c.getRequests()
              + ")");
    }
    // The contract counts a 429 among the failures and an estimated request among the requests.
    if (c.getRateLimitedRequests() > c.getFailureRequests()) {
      throw new Invalid(
          "counters: rate_limited_requests ("
              + c.getRateLimitedRequests()
              + ") exceeds failure_requests ("
              + c.getFailureRequests()
              + ")");
    }
    if (c.getEstimatedRequests() > c.getRequests()) {
      throw new Invalid(
          "counters: estimated_requests ("
              + c.getEstimatedRequests()
              + ") exceeds requests ("
              + c.getRequests()
              + ")");
    }
  }

  private static void positiveId(long id, String field) {
    if (id <= 0) {
      throw new Invalid(field + " must be a positive id, was " + id);
    }
  }

  private static void optionalId(long id, String field) {
    if (id < 0) {
      throw new Invalid(field + " must be a positive id or 0 for none, was " + id);
    }
  }

  private static void text(String value, int min, int max, String field) {
    String problem = WireText.problem(value, min, max);
    if (problem != null) {
      throw new Invalid(field + " " + problem);
    }
  }

  /** One item breaks a rule; the message names the field within the item. */
  private static final class Invalid extends RuntimeException {
    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  /** The valid items of a batch, each with its position in the batch as sent. */
  public static final class CheckedBatch {

    final FlushRequest original;
    final FlushRequest valid;
    final List<DeadLetter> deadLetters;
    private final int[][] origins;

    private CheckedBatch(Builder builder) {
      this.original = builder.original;
      this.valid = builder.valid.build();
      this.deadLetters = List.copyOf(builder.deadLetters);
      this.origins = new int[Part.values().length][];
      for (Part part : Part.values()) {
        origins[part.ordinal()] =
            builder.origins.get(part.ordinal()).stream().mapToInt(Integer::intValue).toArray();
      }
    }

    /** The position in the batch as sent of the {@code index}-th valid item of {@code part}. */
    int origin(Part part, int index) {
      return origins[part.ordinal()][index];
    }

    private static final class Builder {
      final FlushRequest original;
      final FlushRequest.Builder valid;
      final List<DeadLetter> deadLetters = new ArrayList<>();
      final List<List<Integer>> origins = new ArrayList<>();

      Builder(FlushRequest original) {
        this.original = original;
        this.valid =
            FlushRequest.newBuilder()
                .setDpInstanceId(original.getDpInstanceId())
                .setSequence(original.getSequence());
        for (int i = 0; i < Part.values().length; i++) {
          origins.add(new ArrayList<>());
        }
      }

      void keep(Part part, int index, Message item) {
        origins.get(part.ordinal()).add(index);
        Consumer<FlushRequest.Builder> add =
            switch (part) {
              case KEY_DELTA -> b -> b.addKeyDeltas((KeyDelta) item);
              case PROVIDER_KEY_DELTA -> b -> b.addProviderKeyDeltas((ProviderKeyDelta) item);
              case BUCKET -> b -> b.addBuckets((UsageBucket) item);
              case ERROR -> b -> b.addErrors((ErrorEvent) item);
              case ADJUSTMENT -> b -> b.addAdjustments((ConcurrencyAdjustment) item);
              case PROVIDER_KEY_HEALTH ->
                  b -> b.addProviderKeyHealth((ProviderKeyHealthReport) item);
              case ERRORS_DROPPED -> throw new IllegalArgumentException("not a list");
            };
        add.accept(valid);
      }

      void reject(Part part, int index, String detail, Message item) {
        deadLetters.add(new DeadLetter(part, index, Reason.INVALID, detail, item));
      }

      CheckedBatch build() {
        return new CheckedBatch(this);
      }
    }
  }

  /** The text the database keeps for the wire's enums (the values the admin API shows). */
  static final class Kinds {
    private Kinds() {}

    /** provider_key.last_429_kind for a kind, or null for none. */
    static String of429(ThrottleKind kind) {
      return switch (kind) {
        case THROTTLE_KIND_RPM -> "rpm";
        case THROTTLE_KIND_CONCURRENCY -> "concurrency";
        case THROTTLE_KIND_UNKNOWN -> "unknown";
        case THROTTLE_KIND_UNSPECIFIED, UNRECOGNIZED -> null;
      };
    }

    /** concurrency_adjustment.reason for a reason, or null for none. */
    static String ofAdjustment(AdjustmentReason reason) {
      return switch (reason) {
        case ADJUSTMENT_REASON_CONCURRENCY_429 -> "concurrency_429";
        case ADJUSTMENT_REASON_UNKNOWN_429 -> "unknown_429";
        case ADJUSTMENT_REASON_INCREASE -> "increase";
        case ADJUSTMENT_REASON_PROBE -> "probe";
        case ADJUSTMENT_REASON_RESET -> "reset";
        case ADJUSTMENT_REASON_UNSPECIFIED, UNRECOGNIZED -> null;
      };
    }
  }
}
