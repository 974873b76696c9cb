package io.tally.core.aggregate;

import io.tally.core.uniques.ActorSketch;
import io.tally.core.uniques.ActorSketchBuilder;
import io.tally.core.uniques.UniquesConfig;
import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.model.Sums;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Accumulates the count and sum deltas of events for the minute, hour, day and total rows they fall
 * in, until {@link #drain() drained} into an immutable list. Sums add with {@link Sums#add}: a
 * flush whose row sum would pass 2^63 − 2 yields {@link Sums#OVERFLOW}, never a wrapped number.
 *
 * <p>Events are grouped by series (entity, type): one hash lookup per event finds the series' rows,
 * and most events of a flush land in a bucket the series already has. {@link #drain()} returns the
 * deltas in the order of the stores' keys — series by (entity length, entity, type length, type),
 * then minute, hour and day buckets in time order, then the total — which the RocksDB store inserts
 * fastest (it still sorts, which costs one pass on sorted input).
 *
 * <p>An event with an actor also adds the actor to a sketch per row ({@link ActorSketchBuilder},
 * made on a row's first actor), sealed into the row's delta as an immutable {@link ActorSketch}:
 * the actor itself never leaves the aggregator.
 *
 * <p>Not thread-safe: owned by one processor thread; only the drained list crosses threads.
 */
public final class DeltaAggregator {
  private static final Comparator<Series> KEY_ORDER =
      (a, b) -> {
        int c = Integer.compare(a.entity.length(), b.entity.length());
        if (c == 0) {
          c = a.entity.compareTo(b.entity);
        }
        if (c == 0) {
          c = Integer.compare(a.type.length(), b.type.length());
        }
        return c != 0 ? c : a.type.compareTo(b.type);
      };

  private final UniquesConfig uniques;
  private Map<Series, Rows> series = new HashMap<>();
  private int rowCount;

  /** An aggregator sketching actors at the default size. */
  public DeltaAggregator() {
    this(UniquesConfig.DEFAULTS);
  }

  /**
   * @param uniques the size of the actor sketches of the deltas
   */
  public DeltaAggregator(UniquesConfig uniques) {
    this.uniques = java.util.Objects.requireNonNull(uniques, "uniques");
  }

  /** Adds {@code event} to its four rows. */
  public void add(Event event) {
    add(event.entity(), event);
  }

  /**
   * Adds {@code event} to the four rows of {@code entity} instead of its own entity's (a derived
   * entity's rows, see {@link io.tally.core.enrich.Enrichment}).
   */
  public void add(String entity, Event event) {
    Series key = new Series(entity, event.type());
    Rows rows = series.get(key);
    if (rows == null) {
      rows = new Rows();
      series.put(key, rows);
      rowCount++; // the total
    }
    rows.totalCount++;
    rows.totalSum = Sums.add(rows.totalSum, event.value());
    String actor = event.actor();
    if (actor != null) {
      if (rows.totalActors == null) {
        rows.totalActors = new ActorSketchBuilder(uniques);
      }
      rows.totalActors.add(actor);
    }
    for (int g = 0; g < Granularity.TIMED.size(); g++) {
      if (rows.buckets[g].add(
          Granularity.TIMED.get(g).bucketStart(event.timeMillis()), event.value(), actor)) {
        rowCount++;
      }
    }
  }

  /** Rows with pending deltas. */
  public int rowCount() {
    return rowCount;
  }

  /** Returns the pending deltas in store key order and starts empty. */
  public List<CounterDelta> drain() {
    List<CounterDelta> out = new ArrayList<>(rowCount);
    List<Map.Entry<Series, Rows>> entries = new ArrayList<>(series.entrySet());
    entries.sort((a, b) -> KEY_ORDER.compare(a.getKey(), b.getKey()));
    for (Map.Entry<Series, Rows> e : entries) {
      Series s = e.getKey();
      Rows rows = e.getValue();
      for (int g = 0; g < Granularity.TIMED.size(); g++) {
        rows.buckets[g].drainTo(s, Granularity.TIMED.get(g), out);
      }
      out.add(
          new CounterDelta(
              CounterKey.total(s.entity, s.type),
              rows.totalCount,
              rows.totalSum,
              rows.totalActors == null ? null : rows.totalActors.build()));
    }
    // sized for a flush like this one: a fixed large table would cost every small flush a full scan
    series = new HashMap<>(Math.max(16, entries.size() * 4 / 3 + 1));
    rowCount = 0;
    return out;
  }

  /**
   * A map key (entity, type) with its hash computed once. Equality and hash are written out rather
   * than left to a record's generated ones, which the profile showed as a chain of method handles
   * on the processor's hottest lookup.
   */
  private static final class Series {
    final String entity;
    final String type;
    private final int hash;

    Series(String entity, String type) {
      this.entity = entity;
      this.type = type;
      this.hash = 31 * entity.hashCode() + type.hashCode();
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Series s
          && s.hash == hash
          && s.entity.equals(entity)
          && s.type.equals(type);
    }
  }

  private final class Rows {
    long totalCount;
    long totalSum;
    ActorSketchBuilder totalActors; // null until the series' first actor
    final Buckets[] buckets = {new Buckets(), new Buckets(), new Buckets()};
  }

  /** The buckets of one granularity of one series: parallel arrays, usually of length 1. */
  private final class Buckets {
    private long[] starts = new long[1];
    private long[] counts = new long[1];
    private long[] sums = new long[1];
    private ActorSketchBuilder[] actors; // null until the first actor
    private int size;
    private Map<Long, Integer> positions; // only once there are many buckets

    /** Returns true if this created a new bucket. */
    boolean add(long start, long value, String actor) {
      int i = indexOf(start);
      boolean created = i < 0;
      if (created) {
        i = append(start);
      }
      counts[i]++;
      sums[i] = Sums.add(sums[i], value);
      if (actor != null) {
        if (actors == null) {
          actors = new ActorSketchBuilder[starts.length];
        }
        if (actors[i] == null) {
          actors[i] = new ActorSketchBuilder(uniques);
        }
        actors[i].add(actor);
      }
      return created;
    }

    private int indexOf(long start) {
      if (positions != null) {
        Integer i = positions.get(start);
        return i == null ? -1 : i;
      }
      for (int i = size - 1; i >= 0; i--) {
        if (starts[i] == start) {
          return i;
        }
      }
      return -1;
    }

    private int append(long start) {
      if (size == starts.length) {
        starts = Arrays.copyOf(starts, size * 2);
        counts = Arrays.copyOf(counts, size * 2);
        sums = Arrays.copyOf(sums, size * 2);
        if (actors != null) {
          actors = Arrays.copyOf(actors, size * 2);
        }
      }
      starts[size] = start;
      if (positions == null && size == 8) {
        positions = new HashMap<>();
        for (int i = 0; i < size; i++) {
          positions.put(starts[i], i);
        }
      }
      if (positions != null) {
        positions.put(start, size);
      }
      return size++;
    }

    void drainTo(Series s, Granularity g, List<CounterDelta> out) {
      Integer[] order = new Integer[size];
      for (int i = 0; i < size; i++) {
        order[i] = i;
      }
      if (size > 1) {
        Arrays.sort(order, (a, b) -> Long.compare(starts[a], starts[b]));
      }
      for (int i : order) {
        ActorSketch sketch = actors == null || actors[i] == null ? null : actors[i].build();
        out.add(
            new CounterDelta(
                new CounterKey(s.entity, s.type, g, starts[i]), counts[i], sums[i], sketch));
      }
    }
  }
}
