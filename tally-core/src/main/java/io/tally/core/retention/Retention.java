package io.tally.core.retention;

import io.tally.model.Granularity;
import java.time.Duration;
import java.util.Locale;

/**
 * How long counter rows of each granularity are kept, measured from the end of their bucket: a
 * bucket of granularity g is retained while {@code now < bucketEnd + retention(g)}. Defaults:
 * minute 7 days, hour 90 days, day and total forever ({@link #FOREVER}). Both modes enforce it —
 * RocksDB by deleting whole time ranges ({@link TimeRanges}), Cassandra by TTL — and queries never
 * answer from buckets past it, so what a query sees does not depend on when the store reclaimed the
 * space.
 *
 * <p>Retention must not shrink from finer to coarser granularities (a minute may not outlive its
 * hour), and an event is only accepted while its minute bucket is retained, so every accepted event
 * is counted in every granularity.
 */
public record Retention(long minuteMillis, long hourMillis, long dayMillis, long totalMillis) {
  /** Kept as long as the store exists. */
  public static final long FOREVER = Long.MAX_VALUE;

  public static final Retention DEFAULTS =
      new Retention(
          Duration.ofDays(7).toMillis(), Duration.ofDays(90).toMillis(), FOREVER, FOREVER);

  public Retention {
    if (minuteMillis < 3_600_000L) {
      throw new IllegalArgumentException(
          "minute retention must be at least 1h, got " + describe(minuteMillis));
    }
    if (hourMillis < minuteMillis || dayMillis < hourMillis || totalMillis < dayMillis) {
      throw new IllegalArgumentException(
          "retention must not shrink from finer to coarser granularities: minute "
              + describe(minuteMillis)
              + ", hour "
              + describe(hourMillis)
              + ", day "
              + describe(dayMillis)
              + ", total "
              + describe(totalMillis));
    }
    if (totalMillis != FOREVER) {
      throw new IllegalArgumentException(
          "the total is kept forever (it has no time bucket to expire)");
    }
  }

  /** How long rows of {@code g} are kept after their bucket ends, or {@link #FOREVER}. */
  public long millis(Granularity g) {
    return switch (g) {
      case MINUTE -> minuteMillis;
      case HOUR -> hourMillis;
      case DAY -> dayMillis;
      case TOTAL -> totalMillis;
    };
  }

  public Retention with(Granularity g, long millis) {
    return switch (g) {
      case MINUTE -> new Retention(millis, hourMillis, dayMillis, totalMillis);
      case HOUR -> new Retention(minuteMillis, millis, dayMillis, totalMillis);
      case DAY -> new Retention(minuteMillis, hourMillis, millis, totalMillis);
      case TOTAL -> new Retention(minuteMillis, hourMillis, dayMillis, millis);
    };
  }

  /**
   * The start of the oldest bucket of {@code g} still retained at {@code nowMillis} ({@link
   * Long#MIN_VALUE} when kept forever).
   */
  public long oldestRetainedBucket(Granularity g, long nowMillis) {
    long r = millis(g);
    if (r == FOREVER || g == Granularity.TOTAL) {
      return Long.MIN_VALUE;
    }
    // the bucket holding (now − r) ends after now − r, so it is the first one still retained
    return g.bucketStart(nowMillis - r);
  }

  /**
   * The most buckets of {@code g} a range over its whole retained history can touch (the oldest
   * retained bucket through the current one), or 0 when {@code g} is kept forever.
   */
  public long retainedBuckets(Granularity g) {
    long r = millis(g);
    if (r == FOREVER || g == Granularity.TOTAL) {
      return 0;
    }
    return (r + g.millis() - 1) / g.millis() + 1;
  }

  /**
   * Whether the bucket of {@code g} starting at {@code bucketStartMillis} is retained at {@code
   * nowMillis}.
   */
  public boolean retains(Granularity g, long bucketStartMillis, long nowMillis) {
    return bucketStartMillis >= oldestRetainedBucket(g, nowMillis);
  }

  /**
   * Milliseconds a row of the bucket {@code bucketStartMillis} has left at {@code nowMillis}
   * ({@link #FOREVER} when kept forever, ≤ 0 when already past retention): the TTL a store with
   * per-row expiry gives it.
   */
  public long remainingMillis(Granularity g, long bucketStartMillis, long nowMillis) {
    long r = millis(g);
    if (r == FOREVER || g == Granularity.TOTAL) {
      return FOREVER;
    }
    return bucketStartMillis + g.millis() + r - nowMillis;
  }

  /** "7d", "36h", "forever": how the configuration and error messages spell a retention. */
  public static String describe(long millis) {
    if (millis == FOREVER) {
      return "forever";
    }
    if (millis % 86_400_000L == 0) {
      return millis / 86_400_000L + "d";
    }
    if (millis % 3_600_000L == 0) {
      return millis / 3_600_000L + "h";
    }
    return millis / 60_000L + "m";
  }

  /**
   * Parses "7d", "90d", "36h", "30m" or "forever" (case-insensitive).
   *
   * @throws IllegalArgumentException naming the accepted forms
   */
  public static long parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.equals("forever")) {
      return FOREVER;
    }
    try {
      long n = Long.parseLong(t.substring(0, t.length() - 1));
      long unit =
          switch (t.charAt(t.length() - 1)) {
            case 'd' -> 86_400_000L;
            case 'h' -> 3_600_000L;
            case 'm' -> 60_000L;
            default -> throw new NumberFormatException();
          };
      if (n <= 0) {
        throw new NumberFormatException();
      }
      return Math.multiplyExact(n, unit);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "a retention is a positive number of days, hours or minutes (7d, 36h, 90m) or"
              + " 'forever'; got '"
              + text
              + "'");
    }
  }

  @Override
  public String toString() {
    return "minute "
        + describe(minuteMillis)
        + ", hour "
        + describe(hourMillis)
        + ", day "
        + describe(dayMillis)
        + ", total "
        + describe(totalMillis);
  }
}
