package io.tally.model;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A series answer: the non-empty buckets of one (entity, type) in {@code [fromMillis, toMillis)}.
 *
 * @param fromMillis start of the first bucket considered (the requested start, bucket-aligned)
 * @param toMillis exclusive end of the range
 * @param asOfMillis the answer counts every event appended to the log before this time
 * @param consistency how many replicas stood behind it; null when not stated (embedded mode)
 */
public record Stats(
    String entity,
    String type,
    Statistic fn,
    Granularity granularity,
    long fromMillis,
    long toMillis,
    List<Bucket> buckets,
    long asOfMillis,
    Consistency consistency) {
  public Stats {
    requireNonNull(entity, "entity");
    requireNonNull(type, "type");
    requireNonNull(fn, "fn");
    requireNonNull(granularity, "granularity");
    buckets = List.copyOf(buckets);
  }

  /** An answer that states no consistency. */
  public Stats(
      String entity,
      String type,
      Statistic fn,
      Granularity granularity,
      long fromMillis,
      long toMillis,
      List<Bucket> buckets,
      long asOfMillis) {
    this(entity, type, fn, granularity, fromMillis, toMillis, buckets, asOfMillis, null);
  }
}
