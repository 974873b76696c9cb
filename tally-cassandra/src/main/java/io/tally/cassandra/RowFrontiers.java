package io.tally.cassandra;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.retention.TimeRanges;
import io.tally.model.Granularity;

/**
 * What one {@link CounterWriter} knows about the newest rows of each counters partition (entity,
 * type, granularity, range start): its frontier, the bucket from which on every row that exists is
 * one this writer wrote. A row at or past the frontier that the writer does not hold in its row
 * cache therefore does not exist, and is written without reading it first. That is the common case:
 * the deltas of a new minute (hour, day) go to a new row of a partition the writer already knows.
 *
 * <p>A frontier is learned by reading the newest row of the partition at or after the first bucket
 * the writer needs there, and moves past every row the writer writes. Like the row cache it is only
 * true while no other writer writes the partition, so it is {@linkplain #invalidateAll() forgotten}
 * whenever another writer may have (a rebalance) or a write may have failed half-way. A zombie that
 * writes rows past the frontier afterwards computes, for each position, the same value as this
 * writer (both apply the same deltas partition from the first delta of the row on), so
 * last-write-wins still only moves a row forward (DESIGN.md invariant 5). Evicting a frontier only
 * costs a read.
 *
 * <p>Only minute partitions have frontiers: a new minute row appears for every active (entity,
 * type) every minute, and a partition holds up to 1,440 of them. Hour, day and total rows are new
 * once an hour or more seldom (a total never), so their frontiers would only crowd the minute ones
 * out of the bounded cache; their rows are read when not cached, as before. (Measured: with
 * frontiers for every granularity, the cache was filled by partitions touched once and no row was
 * known new.)
 *
 * <p>Thread-safe: frontiers move forward atomically from the driver's threads.
 */
final class RowFrontiers {
  /** A counters partition. */
  record Partition(String entity, String type, Granularity granularity, long rangeStart) {
    static Partition of(CounterKey key) {
      return new Partition(
          key.entity(),
          key.type(),
          key.granularity(),
          TimeRanges.rangeStart(key.granularity(), key.bucketStartMillis()));
    }
  }

  private final Cache<Partition, Long> frontiers;

  RowFrontiers(long maxPartitions) {
    this.frontiers = Caffeine.newBuilder().maximumSize(maxPartitions).build();
  }

  /** Whether the rows of {@code key}'s partition have a frontier (minute rows only). */
  static boolean tracked(CounterKey key) {
    return key.granularity() == Granularity.MINUTE;
  }

  /** Whether {@code key}'s row is known not to exist (unless this writer holds it). */
  boolean knownAbsent(CounterKey key) {
    if (!tracked(key)) {
      return false;
    }
    Long from = frontiers.getIfPresent(Partition.of(key));
    return from != null && key.bucketStartMillis() >= from;
  }

  /**
   * Whether reading {@code key}'s row alone suffices: its partition has no frontier to learn, or
   * the frontier is known.
   */
  boolean known(CounterKey key) {
    return !tracked(key) || frontiers.getIfPresent(Partition.of(key)) != null;
  }

  /**
   * Learns from a read that no row of {@code p} at or after {@code absentFrom} exists. Reads of one
   * partition in one step each state a true frontier; the lowest is the most that is known.
   */
  void learned(Partition p, long absentFrom) {
    frontiers.asMap().merge(p, absentFrom, Math::min);
  }

  /** This writer wrote {@code key}'s row: the frontier moves past it. */
  void wrote(CounterKey key) {
    if (!tracked(key)) {
      return;
    }
    Partition p = Partition.of(key);
    frontiers.asMap().computeIfPresent(p, (k, from) -> Math.max(from, key.bucketStartMillis() + 1));
  }

  void invalidateAll() {
    frontiers.invalidateAll();
  }
}
