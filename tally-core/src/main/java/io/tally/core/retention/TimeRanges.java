package io.tally.core.retention;

import io.tally.model.Granularity;

/**
 * Groups the buckets of a granularity into fixed time ranges — a day of minutes, 30 days of hours,
 * 360 days of days — so that one series lives in a few contiguous stretches of storage and expiry
 * removes whole ranges: the RocksDB key layout puts the range start before the entity (a range
 * delete drops every series' old minutes at once), and PostgreSQL partitions its tables by it. The
 * total is one range starting at 0.
 */
public final class TimeRanges {
  private TimeRanges() {}

  /** Width of one range of {@code g}, in milliseconds (0 for the total). */
  public static long spanMillis(Granularity g) {
    return switch (g) {
      case MINUTE -> 86_400_000L;
      case HOUR -> 30 * 86_400_000L;
      case DAY -> 360 * 86_400_000L;
      case TOTAL -> 0L;
    };
  }

  /** The start of the range holding the bucket {@code bucketStartMillis} of {@code g}. */
  public static long rangeStart(Granularity g, long bucketStartMillis) {
    long span = spanMillis(g);
    return span == 0 ? 0 : Math.floorDiv(bucketStartMillis, span) * span;
  }
}
