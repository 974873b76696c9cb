package io.tally.cassandra;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tally.core.aggregate.CounterKey;
import io.tally.model.Granularity;

/**
 * What one {@link CounterWriter} knows about the newest rows of each series (entity, type,
 * granularity): its frontier, the bucket from which on every row that exists is one this writer
 * wrote. A row at or past the frontier that the writer does not hold in its row cache therefore
 * does not exist, and is written without reading it first. That is the common case: the deltas of a
 * new minute go to a new row of a series the writer already knows.
 *
 * <p>A frontier is learned by reading the newest row of the series at or after the first bucket the
 * writer needs there, and moves past every row the writer writes. Like the row cache it is only
 * true while no other writer writes the series, so it is {@linkplain #invalidateAll() forgotten}
 * whenever another writer may have (a rebalance) or a write may have failed half-way. A zombie that
 * writes rows past the frontier afterwards computes, for each position, the same value as this
 * writer (both apply the same deltas partition from the first delta of the row on), so
 * last-write-wins still only moves a row forward (DESIGN.md invariant 5). Evicting a frontier only
 * costs a read.
 *
 * <p>Only minute series have frontiers: a new minute row appears for every active (entity, type)
 * every minute. Hour, day and total rows are new once an hour or more seldom (a total never), so
 * their frontiers would only crowd the minute ones out of the bounded cache; their rows are read
 * when not cached, as before. (Measured: with frontiers for every granularity, the cache was filled
 * by series touched once and no row was known new.)
 *
 * <p>Thread-safe: frontiers move forward atomically from the driver's threads.
 */
final class RowFrontiers {
  /** The rows of one granularity of an (entity, type): a clustering range of its partition. */
  record Series(String entity, String type, Granularity granularity) {
    static Series of(CounterKey key) {
      return new Series(key.entity(), key.type(), key.granularity());
    }
  }

  private final Cache<Series, Long> frontiers;

  RowFrontiers(long maxSeries) {
    this.frontiers = Caffeine.newBuilder().maximumSize(maxSeries).build();
  }

  /** Whether the rows of {@code key}'s series have a frontier (minute rows only). */
  static boolean tracked(CounterKey key) {
    return key.granularity() == Granularity.MINUTE;
  }

  /** Whether {@code key}'s row is known not to exist (unless this writer holds it). */
  boolean knownAbsent(CounterKey key) {
    if (!tracked(key)) {
      return false;
    }
    Long from = frontiers.getIfPresent(Series.of(key));
    return from != null && key.bucketStartMillis() >= from;
  }

  /**
   * Whether reading {@code key}'s row alone suffices: its series has no frontier to learn, or the
   * frontier is known.
   */
  boolean known(CounterKey key) {
    return !tracked(key) || frontiers.getIfPresent(Series.of(key)) != null;
  }

  /**
   * Learns from a read that no row of {@code p} at or after {@code absentFrom} exists. Reads of one
   * series in one step each state a true frontier; the lowest is the most that is known.
   */
  void learned(Series p, long absentFrom) {
    frontiers.asMap().merge(p, absentFrom, Math::min);
  }

  /** This writer wrote {@code key}'s row: the frontier moves past it. */
  void wrote(CounterKey key) {
    if (!tracked(key)) {
      return;
    }
    Series p = Series.of(key);
    frontiers.asMap().computeIfPresent(p, (k, from) -> Math.max(from, key.bucketStartMillis() + 1));
  }

  void invalidateAll() {
    frontiers.invalidateAll();
  }
}
