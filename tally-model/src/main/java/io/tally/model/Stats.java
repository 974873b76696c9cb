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
 * @param rangeUniques for {@link Statistic#UNIQUES}: the distinct actors of the whole range (the
 *     union of its buckets' sketches, not the sum of their estimates); null otherwise
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
    Consistency consistency,
    Uniques rangeUniques) {
  public Stats {
    requireNonNull(entity, "entity");
    requireNonNull(type, "type");
    requireNonNull(fn, "fn");
    requireNonNull(granularity, "granularity");
    buckets = List.copyOf(buckets);
  }

  /** An answer without the range's distinct actors. */
  public Stats(
      String entity,
      String type,
      Statistic fn,
      Granularity granularity,
      long fromMillis,
      long toMillis,
      List<Bucket> buckets,
      long asOfMillis,
      Consistency consistency) {
    this(
        entity,
        type,
        fn,
        granularity,
        fromMillis,
        toMillis,
        buckets,
        asOfMillis,
        consistency,
        null);
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
    this(entity, type, fn, granularity, fromMillis, toMillis, buckets, asOfMillis, null, null);
  }
}
