package dev.tollgate.dataplane.upstream;

import dev.tollgate.dataplane.usage.UpstreamAttempt.Throttle;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.MultiMap;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.TimeoutException;

/**
 * Sorts what an upstream answered (or how it failed) into the classes routing acts on. Pure and
 * thread-safe.
 *
 * <p>Rules for a 429, from the response headers (OpenAI {@code x-ratelimit-*}, Anthropic {@code
 * anthropic-ratelimit-*}):
 *
 * <ol>
 *   <li>requests remaining is 0, or tokens remaining is 0 (Anthropic: any of tokens, input-tokens,
 *       output-tokens) → {@link Throttle#RPM}: a rate window is spent, and fewer requests in flight
 *       would not help. The key cools down until that window's reset ({@code
 *       x-ratelimit-reset-requests}/{@code -tokens} as {@code 1m30s}/{@code 20ms}, Anthropic's
 *       {@code *-reset} as an RFC 3339 time), or {@code retry-after} when no reset is given.
 *   <li>otherwise, when a remaining count is present and above 0 → {@link Throttle#CONCURRENCY}:
 *       the provider refused although its rate windows have room, so too many requests were in
 *       flight. Cooldown from {@code retry-after-ms}/{@code retry-after}, else the short default.
 *   <li>no remaining count at all → {@link Throttle#UNKNOWN}, cooldown from {@code retry-after},
 *       else the default.
 * </ol>
 *
 * The cooldown is capped by the caller ({@code tollgate.routing.max-cooldown}), so a hostile or
 * broken header cannot take a key out for days.
 */
public final class UpstreamErrorClassifier {

  /** What routing does about one upstream answer or failure. */
  public enum Kind {
    /** 2xx, or an error that is the client's (4xx other than 401/403/408/429): no health effect. */
    OK,
    /** 429: cool the key down; adaptive keys may lower their limit. */
    THROTTLED,
    /** 401/403: the provider refused the gateway's credential; take the key out. */
    AUTH,
    /** 5xx, 408, connect error or timeout: counts against the key's circuit breaker. */
    FAILURE
  }

  /**
   * @param kind what routing does
   * @param throttle the kind of a 429, {@link Throttle#NONE} otherwise
   * @param cooldownMs how long the key should rest, from the headers; 0 = not said
   */
  public record Classification(Kind kind, Throttle throttle, long cooldownMs) {
    public static final Classification OK = new Classification(Kind.OK, Throttle.NONE, 0);
    public static final Classification AUTH = new Classification(Kind.AUTH, Throttle.NONE, 0);
    public static final Classification FAILURE = new Classification(Kind.FAILURE, Throttle.NONE, 0);

    /** Whether another provider key may be tried for the same request. */
    public boolean retryable() {
      return kind != Kind.OK;
    }
  }

  private UpstreamErrorClassifier() {}

  /** The class of an upstream answer with {@code status} and response {@code headers}. */
  public static Classification classify(int status, MultiMap headers, long nowMs) {
    if (status == 429) {
      return throttle(headers, nowMs);
    }
    if (status == 401 || status == 403) {
      return Classification.AUTH;
    }
    if (status >= 500 || status == 408) {
      return Classification.FAILURE;
    }
    return Classification.OK;
  }

  /** Whether a failure before any answer is a timeout (connect or first byte), not a refusal. */
  public static boolean isTimeout(Throwable failure) {
    return failure instanceof TimeoutException || failure instanceof ConnectTimeoutException;
  }

  private static Classification throttle(MultiMap headers, long nowMs) {
    long requests =
        firstNumber(
            headers, "x-ratelimit-remaining-requests", "anthropic-ratelimit-requests-remaining");
    long tokens =
        min(
            firstNumber(
                headers, "x-ratelimit-remaining-tokens", "anthropic-ratelimit-tokens-remaining"),
            min(
                number(headers.get("anthropic-ratelimit-input-tokens-remaining")),
                number(headers.get("anthropic-ratelimit-output-tokens-remaining"))));
    long retryAfterMs = retryAfterMs(headers, nowMs);
    if (requests == 0) {
      long reset =
          resetMs(
              headers, nowMs, "x-ratelimit-reset-requests", "anthropic-ratelimit-requests-reset");
      return new Classification(Kind.THROTTLED, Throttle.RPM, Math.max(reset, retryAfterMs));
    }
    if (tokens == 0) {
      long reset =
          Math.max(
              resetMs(
                  headers, nowMs, "x-ratelimit-reset-tokens", "anthropic-ratelimit-tokens-reset"),
              Math.max(
                  resetMs(headers, nowMs, "anthropic-ratelimit-input-tokens-reset", null),
                  resetMs(headers, nowMs, "anthropic-ratelimit-output-tokens-reset", null)));
      return new Classification(Kind.THROTTLED, Throttle.RPM, Math.max(reset, retryAfterMs));
    }
    if (requests > 0 || tokens > 0) {
      return new Classification(Kind.THROTTLED, Throttle.CONCURRENCY, retryAfterMs);
    }
    return new Classification(Kind.THROTTLED, Throttle.UNKNOWN, retryAfterMs);
  }

  /** Negative when absent or not a number. */
  private static long firstNumber(MultiMap headers, String openAi, String anthropic) {
    long value = number(headers.get(openAi));
    return value >= 0 ? value : number(headers.get(anthropic));
  }

  /** The smaller of two header values, ignoring absent (negative) ones. */
  private static long min(long a, long b) {
    if (a < 0) {
      return b;
    }
    return b < 0 ? a : Math.min(a, b);
  }

  private static long number(String value) {
    if (value == null) {
      return -1;
    }
    try {
      long parsed = (long) Double.parseDouble(value.trim());
      return parsed < 0 ? -1 : parsed;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** {@code retry-after-ms} (OpenAI), else {@code retry-after} as seconds or an HTTP date; 0. */
  static long retryAfterMs(MultiMap headers, long nowMs) {
    String ms = headers.get("retry-after-ms");
    if (ms != null) {
      long value = number(ms);
      if (value >= 0) {
        return value;
      }
    }
    String after = headers.get("retry-after");
    if (after == null || after.isBlank()) {
      return 0;
    }
    long seconds = number(after);
    if (seconds >= 0) {
      return seconds * 1000;
    }
    try {
      long at =
          ZonedDateTime.parse(after.trim(), DateTimeFormatter.RFC_1123_DATE_TIME)
              .toInstant()
              .toEpochMilli();
      return Math.max(0, at - nowMs);
    } catch (DateTimeParseException e) {
      return 0;
    }
  }

  /**
   * A reset header as milliseconds from now: OpenAI's duration ({@code 6m0s}, {@code 1.5s}, {@code
   * 20ms}) or Anthropic's RFC 3339 time; 0 when absent or unreadable.
   */
  static long resetMs(MultiMap headers, long nowMs, String openAi, String anthropic) {
    String value = headers.get(openAi);
    if (value != null) {
      long duration = durationMs(value.trim());
      if (duration >= 0) {
        return duration;
      }
      long at = instantMs(value.trim());
      if (at >= 0) {
        return Math.max(0, at - nowMs);
      }
    }
    if (anthropic != null) {
      String time = headers.get(anthropic);
      if (time != null) {
        long at = instantMs(time.trim());
        if (at >= 0) {
          return Math.max(0, at - nowMs);
        }
      }
    }
    return 0;
  }

  private static long instantMs(String value) {
    try {
      return Instant.parse(value).toEpochMilli();
    } catch (DateTimeParseException e) {
      return -1;
    }
  }

  /** A Go-style duration ({@code 1h2m3.5s}, {@code 20ms}) in milliseconds; -1 if malformed. */
  static long durationMs(String value) {
    if (value.isEmpty()) {
      return -1;
    }
    double total = 0;
    int i = 0;
    while (i < value.length()) {
      int start = i;
      while (i < value.length() && (Character.isDigit(value.charAt(i)) || value.charAt(i) == '.')) {
        i++;
      }
      if (start == i) {
        return -1;
      }
      double amount;
      try {
        amount = Double.parseDouble(value.substring(start, i));
      } catch (NumberFormatException e) {
        return -1;
      }
      int unitStart = i;
      while (i < value.length() && Character.isLetter(value.charAt(i))) {
        i++;
      }
      switch (value.substring(unitStart, i)) {
        case "h" -> total += amount * 3_600_000;
        case "m" -> total += amount * 60_000;
        case "s" -> total += amount * 1000;
        case "ms" -> total += amount;
        default -> {
          return -1;
        }
      }
    }
    return (long) Math.ceil(total);
  }
}
