package dev.tollgate.controlplane.usage;

import dev.tollgate.proto.usage.v1.Counters;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ObjLongConsumer;
import java.util.function.ToLongFunction;

/**
 * The usage counters of usage.proto's {@code Counters}, in one list: each with the column it is
 * kept in (the same name in api_key, provider_key, provider_group, api_key_usage_totals and every
 * usage tier) and its getter and setter on the wire. The flush's SQL, its validation and its sums
 * are written from this list ({@link #join}), never by listing the columns again, so a new counter
 * is one line here and one column in a migration.
 */
enum UsageCounter {
  REQUESTS("requests", Counters::getRequests, Counters.Builder::setRequests),
  SUCCESS_REQUESTS(
      "success_requests", Counters::getSuccessRequests, Counters.Builder::setSuccessRequests),
  FAILURE_REQUESTS(
      "failure_requests", Counters::getFailureRequests, Counters.Builder::setFailureRequests),
  PROMPT_TOKENS("prompt_tokens", Counters::getPromptTokens, Counters.Builder::setPromptTokens),
  COMPLETION_TOKENS(
      "completion_tokens", Counters::getCompletionTokens, Counters.Builder::setCompletionTokens),
  TOTAL_TOKENS("total_tokens", Counters::getTotalTokens, Counters.Builder::setTotalTokens),
  RATE_LIMITED_REQUESTS(
      "rate_limited_requests",
      Counters::getRateLimitedRequests,
      Counters.Builder::setRateLimitedRequests),
  ESTIMATED_REQUESTS(
      "estimated_requests", Counters::getEstimatedRequests, Counters.Builder::setEstimatedRequests);

  /** Every counter, in declaration order: the order of bound arrays and of {@link #join}. */
  static final List<UsageCounter> ALL = List.of(values());

  /** The column name, in every table that keeps usage counters. */
  final String column;

  private final ToLongFunction<Counters> getter;
  private final ObjLongConsumer<Counters.Builder> setter;

  UsageCounter(
      String column, ToLongFunction<Counters> getter, ObjLongConsumer<Counters.Builder> setter) {
    this.column = column;
    this.getter = getter;
    this.setter = setter;
  }

  long of(Counters counters) {
    return getter.applyAsLong(counters);
  }

  void set(Counters.Builder counters, long value) {
    setter.accept(counters, value);
  }

  /** {@code a + b}, counter by counter. */
  static Counters sum(Counters a, Counters b) {
    Counters.Builder sum = Counters.newBuilder();
    for (UsageCounter counter : ALL) {
      counter.set(sum, Math.addExact(counter.of(a), counter.of(b)));
    }
    return sum.build();
  }

  /**
   * {@code pattern} formatted with each column name (as {@code %1$s}), then each name of {@code
   * extra}, joined by {@code separator}: e.g. {@code join("%1$s = k.%1$s + d.%1$s", ", ")}.
   */
  static String join(String pattern, String separator, String... extra) {
    List<String> parts = new ArrayList<>();
    for (UsageCounter counter : ALL) {
      parts.add(pattern.formatted(counter.column));
    }
    for (String column : extra) {
      parts.add(pattern.formatted(column));
    }
    return String.join(separator, parts);
  }
}
