package dev.tollgate.controlplane.stats;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The time tiers usage is kept in (V4__usage_tiers_and_stats.sql): per key and model in {@link
 * #keyTable}, per scope in {@link #scopeTable}. Buckets are aligned to UTC.
 */
enum Tier {
  MINUTE(60, "usage_minute", "usage_scope_minute"),
  HOUR(3_600, "usage_hour", "usage_scope_hour"),
  DAY(86_400, "usage_day", "usage_scope_day");

  final long seconds;
  final String keyTable;
  final String scopeTable;

  Tier(long seconds, String keyTable, String scopeTable) {
    this.seconds = seconds;
    this.keyTable = keyTable;
    this.scopeTable = scopeTable;
  }

  Instant floor(Instant t) {
    return Instant.ofEpochSecond(Math.floorDiv(t.getEpochSecond(), seconds) * seconds);
  }

  Instant ceil(Instant t) {
    Instant floor = floor(t);
    return floor.equals(t) ? t : floor.plusSeconds(seconds);
  }

  /** A stretch [from, to) read from one tier. */
  record Segment(Tier tier, Instant from, Instant to) {}

  /**
   * The fewest buckets that cover [from, to), both minute-aligned: whole days from the day tier,
   * whole hours around them from the hour tier, and minutes only at the two ends. A range of any
   * length therefore reads at most 2 × 59 minute rows and 2 × 23 hour rows per subject, plus its
   * days.
   */
  static List<Segment> cover(Instant from, Instant to) {
    List<Segment> segments = new ArrayList<>();
    cover(from, to, DAY, segments);
    return segments;
  }

  private static void cover(Instant from, Instant to, Tier tier, List<Segment> into) {
    if (!from.isBefore(to)) {
      return;
    }
    if (tier == MINUTE) {
      into.add(new Segment(MINUTE, from, to));
      return;
    }
    Tier finer = values()[tier.ordinal() - 1];
    Instant first = tier.ceil(from);
    Instant last = tier.floor(to);
    if (!first.isBefore(last)) {
      cover(from, to, finer, into);
      return;
    }
    cover(from, first, finer, into);
    into.add(new Segment(tier, first, last));
    cover(last, to, finer, into);
  }
}
