package io.tally.model;

import java.util.List;
import java.util.Locale;

/**
 * The bucket sizes Tally counts in. All buckets are aligned to the UTC epoch: a minute bucket
 * starts on a whole minute, an hour bucket on a whole hour, a day bucket at 00:00 UTC. UTC has no
 * daylight saving and epoch milliseconds carry no leap seconds, so every bucket of one granularity
 * has the same length. {@link #TOTAL} has a single bucket starting at 0.
 */
public enum Granularity {
  MINUTE(60_000L),
  HOUR(3_600_000L),
  DAY(86_400_000L),
  TOTAL(0L);

  private final long millis;
  private final String wireName;

  Granularity(long millis) {
    this.millis = millis;
    this.wireName = name().toLowerCase(Locale.ROOT);
  }

  /** Bucket length in milliseconds; 0 for {@link #TOTAL}. */
  public long millis() {
    return millis;
  }

  /** Start of the bucket holding {@code epochMillis}, also for times before 1970. */
  public long bucketStart(long epochMillis) {
    return this == TOTAL ? 0L : Math.floorDiv(epochMillis, millis) * millis;
  }

  /**
   * The name used on the wire and in URLs: {@code minute}, {@code hour}, {@code day}, {@code
   * total}.
   */
  public String wireName() {
    return wireName; // computed once: the cluster's writer binds it for every row it writes
  }

  /**
   * Parses a wire name, case-insensitively.
   *
   * @throws IllegalArgumentException naming the allowed values when {@code name} is not one
   */
  public static Granularity fromWireName(String name) {
    for (Granularity g : values()) {
      if (g.wireName().equalsIgnoreCase(name)) {
        return g;
      }
    }
    throw new IllegalArgumentException(
        "granularity must be one of minute, hour, day, total; got '" + name + "'");
  }

  /** The granularities with time buckets, finest first (everything but {@link #TOTAL}). */
  public static final List<Granularity> TIMED = List.of(MINUTE, HOUR, DAY);
}
