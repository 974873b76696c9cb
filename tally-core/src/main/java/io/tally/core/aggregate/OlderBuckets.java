package io.tally.core.aggregate;

import io.tally.core.uniques.ActorSketchBuilder;
import io.tally.core.uniques.UniquesConfig;
import io.tally.model.Sums;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The buckets of a flush's series that are older than their granularity's newest bucket, which
 * {@link DeltaAggregator} keeps inline in the series' record: the rows of a series whose events of
 * one flush span several minutes (hours, days). Rows are numbered in order of arrival and kept in
 * parallel arrays, found through a map from (series, granularity index, bucket start).
 *
 * <p>Not thread-safe: owned by the aggregator's thread.
 */
final class OlderBuckets {
  private final UniquesConfig uniques;
  private final Map<Key, Integer> rows = new HashMap<>();
  private int[] series = new int[8];
  private int[] granularities = new int[8];
  private long[] starts = new long[8];
  private long[] counts = new long[8];
  private long[] sums = new long[8];
  private ActorSketchBuilder[] actors = new ActorSketchBuilder[8];
  private int size;

  OlderBuckets(UniquesConfig uniques) {
    this.uniques = uniques;
  }

  /** Takes over a bucket that was a series' newest; the row must not be here yet. */
  void put(int s, int g, long start, long count, long sum, ActorSketchBuilder actorsOfRow) {
    int i = append(s, g, start);
    counts[i] = count;
    sums[i] = sum;
    actors[i] = actorsOfRow;
  }

  /**
   * Adds an event to the row (series {@code s}, granularity index {@code g}, {@code start}).
   *
   * @param actor the event's actor, or null
   * @return whether the row is new
   */
  boolean add(int s, int g, long start, long value, String actor) {
    Integer found = rows.get(new Key(s, g, start));
    int i = found == null ? append(s, g, start) : found;
    counts[i]++;
    sums[i] = Sums.add(sums[i], value);
    if (actor != null) {
      if (actors[i] == null) {
        actors[i] = new ActorSketchBuilder(uniques);
      }
      actors[i].add(actor);
    }
    return found == null;
  }

  /** Number of rows. */
  int size() {
    return size;
  }

  int series(int i) {
    return series[i];
  }

  int granularity(int i) {
    return granularities[i];
  }

  long start(int i) {
    return starts[i];
  }

  long count(int i) {
    return counts[i];
  }

  long sum(int i) {
    return sums[i];
  }

  ActorSketchBuilder actors(int i) {
    return actors[i];
  }

  /** The rows' numbers ordered by series number, granularity index and bucket start. */
  int[] sorted() {
    return IndexOrder.sorted(
        size,
        (a, b) -> {
          int c = Integer.compare(series[a], series[b]);
          if (c == 0) {
            c = Integer.compare(granularities[a], granularities[b]);
          }
          return c != 0 ? c : Long.compare(starts[a], starts[b]);
        });
  }

  /** Forgets every row. */
  void clear() {
    if (size > 0) {
      rows.clear();
      Arrays.fill(actors, 0, size, null);
      size = 0;
    }
  }

  private int append(int s, int g, long start) {
    if (size == starts.length) {
      int n = size * 2;
      series = Arrays.copyOf(series, n);
      granularities = Arrays.copyOf(granularities, n);
      starts = Arrays.copyOf(starts, n);
      counts = Arrays.copyOf(counts, n);
      sums = Arrays.copyOf(sums, n);
      actors = Arrays.copyOf(actors, n);
    }
    int i = size++;
    series[i] = s;
    granularities[i] = g;
    starts[i] = start;
    counts[i] = 0;
    sums[i] = 0;
    actors[i] = null;
    rows.put(new Key(s, g, start), i);
    return i;
  }

  /** Equality and hash written out: a record's generated ones go through method handles. */
  private static final class Key {
    private final int series;
    private final int granularity;
    private final long start;

    Key(int series, int granularity, long start) {
      this.series = series;
      this.granularity = granularity;
      this.start = start;
    }

    @Override
    public int hashCode() {
      return (31 * series + granularity) * 31 + Long.hashCode(start);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k
          && k.series == series
          && k.granularity == granularity
          && k.start == start;
    }
  }
}
