package dev.tollgate.controlplane.stats;

import dev.tollgate.controlplane.ControlPlaneConfig;
import dev.tollgate.controlplane.admin.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The admin API's usage summaries: parameters checked (a bad one is a 400 naming it), time ranges
 * turned into buckets, rates computed when read. Every method takes {@code now}, so what a window
 * covers depends on nothing hidden.
 */
@ApplicationScoped
public class UsageStatsService {

  /** The statuses an api key can have; keys/stats lists each, with 0 when none has it. */
  static final List<String> KEY_STATUSES =
      List.of("active", "disabled", "expired", "quota_exhausted", "revoked");

  static final int MAX_POINTS = 1500;
  static final Duration MAX_PERIOD = Duration.ofDays(90);
  static final Duration MAX_ATTENTION_WINDOW = Duration.ofDays(7);
  static final int MAX_ATTENTION_LIMIT = 100;

  private static final Pattern DURATION = Pattern.compile("([1-9][0-9]{0,4})([mhd])");
  private static final Map<String, Tier> STEPS =
      Map.of("1m", Tier.MINUTE, "1h", Tier.HOUR, "1d", Tier.DAY);

  private final UsageQueryRepository usage;
  private final ProviderKeyHealthRepository health;
  private final Duration healthMaxAge;

  UsageStatsService(
      UsageQueryRepository usage, ProviderKeyHealthRepository health, ControlPlaneConfig config) {
    this.usage = usage;
    this.health = health;
    this.healthMaxAge = config.providerHealth().maxAge();
  }

  /**
   * Usage in the last 1 minute, 1 hour, 8 hours, 24 hours (each ending with the current minute,
   * which counts whole: the last hour is this minute and the 59 before) and the calendar month.
   */
  public UsageWindows windows(UsageScope scope, Instant now) throws SQLException {
    requireExists(scope);
    Instant to = Tier.MINUTE.floor(now).plusSeconds(60);
    String[] names = {"1m", "1h", "8h", "24h"};
    long[] minutes = {1, 60, 8 * 60, 24 * 60};
    List<Instant[]> ranges = new ArrayList<>();
    for (long m : minutes) {
      ranges.add(new Instant[] {to.minusSeconds(m * 60), to});
    }
    Instant monthStart =
        now.atOffset(ZoneOffset.UTC)
            .withDayOfMonth(1)
            .toLocalDate()
            .atStartOfDay()
            .toInstant(ZoneOffset.UTC);
    ranges.add(new Instant[] {monthStart, to});
    List<UsageQueryRepository.Counts> totals = usage.totals(scope, ranges);
    List<UsageWindow> windows = new ArrayList<>();
    for (int i = 0; i < ranges.size(); i++) {
      windows.add(
          new UsageWindow(
              i < names.length ? names[i] : "month",
              ranges.get(i)[0],
              to,
              totals.get(i).requests(),
              totals.get(i).tokens()));
    }
    return new UsageWindows(scope.kind(), scope.id(), scope.model(), windows);
  }

  /** Buckets of {@code step} from {@code from} (rounded down) to {@code to} (rounded up). */
  public UsageSeries series(UsageScope scope, String from, String to, String step, Instant now)
      throws SQLException {
    String stepName = step == null ? "1h" : step;
    Tier tier = STEPS.get(stepName);
    if (tier == null) {
      throw ProblemException.badRequest("step", "step must be 1m, 1h or 1d, got " + step);
    }
    Instant end =
        tier.ceil(to == null ? Tier.MINUTE.floor(now).plusSeconds(60) : instant("to", to));
    Instant start =
        from == null ? end.minusSeconds(60 * tier.seconds) : tier.floor(instant("from", from));
    if (!start.isBefore(end)) {
      throw ProblemException.badRequest("from", "from must be before to");
    }
    long points = Duration.between(start, end).getSeconds() / tier.seconds;
    if (points > MAX_POINTS) {
      throw ProblemException.badRequest(
          "from",
          "from..to spans "
              + points
              + " buckets of "
              + stepName
              + "; at most "
              + MAX_POINTS
              + " (use a larger step)");
    }
    requireExists(scope);
    Map<Instant, UsageQueryRepository.Counts> found = usage.series(scope, tier, start, end);
    List<UsagePoint> series = new ArrayList<>((int) points);
    for (Instant t = start; t.isBefore(end); t = t.plusSeconds(tier.seconds)) {
      UsageQueryRepository.Counts counts = found.getOrDefault(t, UsageQueryRepository.Counts.ZERO);
      series.add(new UsagePoint(t, counts.requests(), counts.tokens()));
    }
    return new UsageSeries(scope.kind(), scope.id(), scope.model(), stepName, start, end, series);
  }

  /** One key's usage per model over {@code period} (e.g. 1h, 24h, 7d, 30d) ending now. */
  public KeyUsage keyUsage(long keyId, String period, Instant now) throws SQLException {
    String name = period == null ? "24h" : period;
    Duration length = duration("period", name, MAX_PERIOD);
    if (!usage.exists("api_key", keyId)) {
      throw ProblemException.notFound("key", keyId);
    }
    Instant to = Tier.MINUTE.floor(now).plusSeconds(60);
    Instant from = to.minus(length);
    if (length.compareTo(Duration.ofHours(24)) > 0) {
      // Longer periods are counted in whole days: the minute and hour tiers are not kept as long.
      from = Tier.DAY.floor(from);
    }
    return new KeyUsage(keyId, name, from, to, usage.byModel(keyId, from, to));
  }

  public KeyStats keyStats() throws SQLException {
    return usage.keyStats(KEY_STATUSES);
  }

  public UsageSummary summary() throws SQLException {
    List<GroupUsage> groups = usage.groups();
    long[] sums = new long[8];
    for (GroupUsage group : groups) {
      long[] values = {
        group.requests().total(),
        group.requests().success(),
        group.requests().failure(),
        group.requests().rateLimited(),
        group.requests().estimated(),
        group.tokens().prompt(),
        group.tokens().completion(),
        group.tokens().total()
      };
      for (int i = 0; i < sums.length; i++) {
        sums[i] += values[i];
      }
    }
    RequestCounts requests = new RequestCounts(sums[0], sums[1], sums[2], sums[3], sums[4]);
    return new UsageSummary(
        requests,
        new TokenCounts(sums[5], sums[6], sums[7]),
        requests.successRate(),
        requests.failureRate(),
        groups);
  }

  public UpstreamStats groupStats(long id) throws SQLException {
    UpstreamStats stats = usage.upstream(id, false);
    if (stats == null) {
      throw ProblemException.notFound("provider group", id);
    }
    return stats;
  }

  public UpstreamStats providerKeyStats(long id, Instant now) throws SQLException {
    UpstreamStats stats = usage.upstream(id, true);
    if (stats == null) {
      throw ProblemException.notFound("provider key", id);
    }
    return stats.withHealth(health.ofKey(id, now, now.minus(healthMaxAge)));
  }

  /** The health of each provider key of a group, as the data planes reported it lately. */
  public ProviderKeyHealthList groupHealth(long groupId, Instant now) throws SQLException {
    if (!usage.exists("provider_group", groupId)) {
      throw ProblemException.notFound("provider group", groupId);
    }
    return new ProviderKeyHealthList(
        groupId, healthMaxAge.toSeconds(), health.ofGroup(groupId, now, now.minus(healthMaxAge)));
  }

  /**
   * The keys or provider keys with the most failures or 429s over {@code window}, rounded out to
   * whole hours (window=1h at 10:05 counts 09:00 to 11:00).
   */
  public AttentionList attention(
      String subject, String by, String window, String limit, Instant now) throws SQLException {
    String subjectName = subject == null ? "keys" : subject;
    if (!subjectName.equals("keys") && !subjectName.equals("provider_keys")) {
      throw ProblemException.badRequest(
          "subject", "subject must be keys or provider_keys, got " + subject);
    }
    String byName = by == null ? "failures" : by;
    if (!byName.equals("failures") && !byName.equals("rate_limited")) {
      throw ProblemException.badRequest("by", "by must be failures or rate_limited, got " + by);
    }
    String windowName = window == null ? "1h" : window;
    Duration length = duration("window", windowName, MAX_ATTENTION_WINDOW);
    int count = limit == null ? 20 : (int) number("limit", limit, 1, MAX_ATTENTION_LIMIT);
    Instant to = Tier.HOUR.floor(now).plusSeconds(3_600);
    Instant from = Tier.HOUR.floor(now.minus(length));
    boolean byRateLimited = byName.equals("rate_limited");
    List<AttentionItem> items =
        subjectName.equals("keys")
            ? usage.failingKeys(from, byRateLimited, count)
            : usage.failingProviderKeys(from, byRateLimited, count);
    return new AttentionList(subjectName, byName, windowName, from, to, items);
  }

  /** Parses the four optional scope parameters; each names itself when wrong. */
  public static UsageScope scope(String keyId, String userId, String groupId, String model) {
    return UsageScope.of(
        optionalId("key_id", keyId),
        optionalId("user_id", userId),
        optionalId("group_id", groupId),
        model);
  }

  private void requireExists(UsageScope scope) throws SQLException {
    String table =
        switch (scope.kind()) {
          case "key" -> "api_key";
          case "user" -> "app_user";
          case "group" -> "provider_group";
          default -> null;
        };
    if (table != null && !usage.exists(table, scope.id())) {
      throw new ProblemException(
          404,
          "Not Found",
          scope.kind() + " " + scope.id() + " does not exist",
          scope.kind() + "_id");
    }
  }

  private static Long optionalId(String parameter, String value) {
    return value == null ? null : number(parameter, value, Long.MIN_VALUE, Long.MAX_VALUE);
  }

  private static long number(String parameter, String value, long min, long max) {
    long parsed;
    try {
      parsed = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw ProblemException.badRequest(parameter, parameter + " must be an integer, got " + value);
    }
    if (parsed < min || parsed > max) {
      throw ProblemException.badRequest(
          parameter, parameter + " must be between " + min + " and " + max + ", got " + value);
    }
    return parsed;
  }

  private static Instant instant(String parameter, String value) {
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw ProblemException.badRequest(
          parameter,
          parameter + " must be an ISO-8601 instant such as 2030-01-01T00:00:00Z, got " + value);
    }
  }

  /** "15m", "24h", "7d": a positive number of minutes, hours or days, at most {@code max}. */
  static Duration duration(String parameter, String value, Duration max) {
    Matcher m = DURATION.matcher(value);
    if (!m.matches()) {
      throw ProblemException.badRequest(
          parameter,
          parameter + " must be a number of minutes, hours or days such as 1h or 7d, got " + value);
    }
    long n = Long.parseLong(m.group(1));
    Duration length =
        switch (m.group(2)) {
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
    if (length.compareTo(max) > 0) {
      throw ProblemException.badRequest(
          parameter, parameter + " must be at most " + max.toDays() + "d, got " + value);
    }
    return length;
  }
}
