package io.tally.core.aggregate;

import io.tally.core.uniques.ActorSketch;
import io.tally.core.uniques.ActorSketchBuilder;
import io.tally.core.uniques.UniquesConfig;
import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.model.Sums;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Accumulates the count and sum deltas of events for the minute, hour, day and total rows they fall
 * in, until {@link #drain() drained} into an immutable list. Sums add with {@link Sums#add}: a
 * flush whose row sum would pass 2^63 − 2 yields {@link Sums#OVERFLOW}, never a wrapped number.
 *
 * <h2>Design</h2>
 *
 * Events are grouped by series (entity, type) in a {@link SeriesTable}: one probe of a flat index
 * per event finds the series' record, a fixed run of longs that holds the series' newest minute,
 * hour and day buckets inline (this was a map of maps, and its pointer chase bound the processor):
 *
 * <pre>
 *   record[0]          start of the series' newest minute bucket (the hour and day buckets are
 *                      the ones holding it: the newest of their granularity too)
 *   record[1], [2]     count and sum of that minute
 *   record[3], [4]     count and sum of its hour
 *   record[5], [6]     count and sum of its day
 * </pre>
 *
 * An event in the newest minute — nearly every event, since event time mostly follows the log — is
 * counted with no division and no other lookup. An event in a newer bucket moves each inline bucket
 * it leaves to {@link OlderBuckets}; an event in an older one is counted there. The total is not
 * kept: it is the sum of the day rows, added up when drained ({@link Sums#add} saturates, so the
 * order of adding does not matter).
 *
 * <p>{@link #drain()} returns the deltas in the order of the stores' keys — series by (entity
 * length, entity, type length, type), then minute, hour and day buckets in time order, then the
 * total — which the RocksDB store inserts fastest (it still sorts, which costs one pass on sorted
 * input).
 *
 * <p>An event with an actor also adds the actor to a sketch per row ({@link ActorSketchBuilder},
 * made on a row's first actor), sealed into the row's delta as an immutable {@link ActorSketch}:
 * the actor itself never leaves the aggregator.
 *
 * <p>Not thread-safe: owned by one processor thread; only the drained list crosses threads.
 */
public final class DeltaAggregator {
  private static final Granularity[] TIMED = Granularity.TIMED.toArray(new Granularity[0]);
  private static final long MINUTE_MILLIS = Granularity.MINUTE.millis();
  private static final int DAY = 2;
  private static final int TOTAL_ACTORS = 3;

  private final UniquesConfig uniques;
  private final SeriesTable series = new SeriesTable();
  private final OlderBuckets older;
  private int rowCount;

  /** Sums what {@link #expect} loaded, so that the loads are not optimized away. */
  private long warmed;

  /** An aggregator sketching actors at the default size. */
  public DeltaAggregator() {
    this(UniquesConfig.DEFAULTS);
  }

  /**
   * @param uniques the size of the actor sketches of the deltas
   */
  public DeltaAggregator(UniquesConfig uniques) {
    this.uniques = Objects.requireNonNull(uniques, "uniques");
    this.older = new OlderBuckets(uniques);
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
    int known = series.size();
    int s = series.idOf(entity, event.type());
    long time = event.timeMillis();
    long value = event.value();
    long[] r = series.records;
    int b = s * SeriesTable.STRIDE;
    int inline = 0b111; // the granularities whose inline bucket holds the event
    if (series.size() != known) {
      r[b] = Granularity.MINUTE.bucketStart(time);
      r[b + 1] = 1;
      r[b + 2] = value;
      r[b + 3] = 1;
      r[b + 4] = value;
      r[b + 5] = 1;
      r[b + 6] = value;
      rowCount += 4;
    } else if (Long.compareUnsigned(time - r[b], MINUTE_MILLIS) < 0) {
      r[b + 1]++;
      r[b + 2] = Sums.add(r[b + 2], value);
      r[b + 3]++;
      r[b + 4] = Sums.add(r[b + 4], value);
      r[b + 5]++;
      r[b + 6] = Sums.add(r[b + 6], value);
    } else {
      inline = addOutsideNewestMinute(s, time, value, event.actor());
    }
    String actor = event.actor();
    if (actor != null) {
      addActor(s, inline, actor);
    }
  }

  /**
   * Counts an event that is not in series {@code s}'s newest minute.
   *
   * @return the granularities (bit g for {@code TIMED[g]}) whose inline bucket now holds the event;
   *     the others were counted in {@link #older}, with the actor
   */
  private int addOutsideNewestMinute(int s, long time, long value, String actor) {
    long[] r = series.records;
    int b = s * SeriesTable.STRIDE;
    long newestMinute = r[b];
    long minute = Granularity.MINUTE.bucketStart(time);
    int inline = 0;
    for (int g = 0; g < TIMED.length; g++) {
      long start = TIMED[g].bucketStart(time);
      long newest = TIMED[g].bucketStart(newestMinute);
      int count = b + 1 + 2 * g;
      if (start > newest) {
        older.put(s, g, newest, r[count], r[count + 1], takeActors(s, g));
        r[count] = 0;
        r[count + 1] = 0;
        rowCount++;
      }
      if (start >= newest) {
        r[count]++;
        r[count + 1] = Sums.add(r[count + 1], value);
        inline |= 1 << g;
      } else if (older.add(s, g, start, value, actor)) {
        rowCount++;
      }
    }
    if (minute > newestMinute) {
      r[b] = minute;
    }
    return inline;
  }

  private ActorSketchBuilder takeActors(int s, int g) {
    ActorSketchBuilder[] a = series.actors;
    if (a == null) {
      return null;
    }
    int i = s * SeriesTable.ACTOR_SLOTS + g;
    ActorSketchBuilder taken = a[i];
    a[i] = null;
    return taken;
  }

  /** Adds {@code actor} to the total and to the inline rows of granularities {@code inline}. */
  private void addActor(int s, int inline, String actor) {
    ActorSketchBuilder[] a = series.actorSlots();
    int base = s * SeriesTable.ACTOR_SLOTS;
    for (int slot = 0; slot < SeriesTable.ACTOR_SLOTS; slot++) {
      if (slot == TOTAL_ACTORS || (inline & (1 << slot)) != 0) {
        if (a[base + slot] == null) {
          a[base + slot] = new ActorSketchBuilder(uniques);
        }
        a[base + slot].add(actor);
      }
    }
  }

  /**
   * Says that an event of {@code type} on {@code entity} is among the next to be {@link #add
   * added}, and loads the series' index entry and record now: called for the next few events back
   * to back, their cache misses overlap instead of following one another. Only a hint: the deltas
   * are the same with or without it.
   */
  public void expect(String entity, String type) {
    warmed += series.touch(entity, type);
  }

  /** Rows with pending deltas. */
  public int rowCount() {
    return rowCount;
  }

  /** Returns the pending deltas in store key order and starts empty. */
  public List<CounterDelta> drain() {
    List<CounterDelta> out = new ArrayList<>(rowCount);
    int n = series.size();
    int[] olderOrder = older.sorted();
    int[] olderFrom = new int[n];
    Arrays.fill(olderFrom, -1);
    for (int k = olderOrder.length - 1; k >= 0; k--) {
      olderFrom[older.series(olderOrder[k])] = k;
    }
    for (int s : keyOrder(n)) {
      drainSeries(s, olderOrder, olderFrom[s], out);
    }
    series.clear(n);
    older.clear();
    rowCount = 0;
    return out;
  }

  /**
   * Adds the deltas of series {@code s} to {@code out}: its older rows (from {@code olderOrder[k]}
   * on, if {@code k} ≥ 0) before its inline row, per granularity, then the total.
   */
  private void drainSeries(int s, int[] olderOrder, int k, List<CounterDelta> out) {
    String entity = series.entities[s];
    String type = series.types[s];
    long[] r = series.records;
    int b = s * SeriesTable.STRIDE;
    ActorSketchBuilder[] a = series.actors;
    int slots = s * SeriesTable.ACTOR_SLOTS;
    long totalCount = 0;
    long totalSum = 0;
    for (int g = 0; g < TIMED.length; g++) {
      for (; k >= 0 && k < olderOrder.length; k++) {
        int i = olderOrder[k];
        if (older.series(i) != s || older.granularity(i) != g) {
          break;
        }
        out.add(
            delta(entity, type, g, older.start(i), older.count(i), older.sum(i), older.actors(i)));
        if (g == DAY) {
          totalCount += older.count(i);
          totalSum = Sums.add(totalSum, older.sum(i));
        }
      }
      long count = r[b + 1 + 2 * g];
      long sum = r[b + 2 + 2 * g];
      long start = TIMED[g].bucketStart(r[b]);
      out.add(delta(entity, type, g, start, count, sum, a == null ? null : a[slots + g]));
      if (g == DAY) {
        totalCount += count;
        totalSum = Sums.add(totalSum, sum);
      }
    }
    ActorSketchBuilder totalActors = a == null ? null : a[slots + TOTAL_ACTORS];
    out.add(
        new CounterDelta(
            CounterKey.total(entity, type),
            totalCount,
            totalSum,
            totalActors == null ? null : totalActors.build()));
  }

  private static CounterDelta delta(
      String entity,
      String type,
      int g,
      long start,
      long count,
      long sum,
      ActorSketchBuilder actors) {
    return new CounterDelta(
        new CounterKey(entity, type, TIMED[g], start),
        count,
        sum,
        actors == null ? null : actors.build());
  }

  /**
   * The series numbers ordered by (entity length, entity, type length, type). Most comparisons are
   * settled by each series' {@link #sortPrefix} of its entity, read from one array: comparing the
   * strings themselves loads two entities from anywhere in the heap per comparison, and those cache
   * misses made this sort 12 % of a processor's samples at full batched ingest. The prefix holds
   * the chars after those every entity of the flush shares ({@code video:} of {@code video:123}):
   * with the shared ones in it, every comparison of such names went on to the strings (8.8 % of a
   * processor's samples, docs/benchmarks.md).
   */
  private int[] keyOrder(int n) {
    String[] entities = series.entities;
    String[] types = series.types;
    long[] prefixes = new long[n];
    int shared = series.sharedEntityPrefix();
    for (int s = 0; s < n; s++) {
      prefixes[s] = sortPrefix(entities[s], shared);
    }
    return IndexOrder.sorted(
        n,
        (x, y) -> {
          int c = Long.compare(prefixes[x], prefixes[y]);
          if (c == 0) {
            c = Integer.compare(entities[x].length(), entities[y].length());
          }
          if (c == 0) {
            c = entities[x].compareTo(entities[y]);
          }
          if (c == 0) {
            c = Integer.compare(types[x].length(), types[y].length());
          }
          return c != 0 ? c : types[x].compareTo(types[y]);
        });
  }

  /** Chars of an entity, past the start every entity shares, that {@link #sortPrefix} holds. */
  static final int PREFIX_CHARS = 6;

  /**
   * A number whose order never contradicts (length, then {@link String#compareTo}) among strings
   * that share their first {@code shared} chars: if {@code sortPrefix(a, shared) < sortPrefix(b,
   * shared)} then {@code a} sorts before {@code b}; equal numbers say nothing. It holds the length
   * (15 bits) and then the {@value #PREFIX_CHARS} chars after the shared ones, 8 bits each. A char
   * of 255 or more is held as 255 and ends the prefix (the rest 0), and a length of 2^15 − 1 or
   * more holds no chars, so that such strings tie and are compared in full. (Two strings of one
   * length that share their first {@code shared} chars differ first at or after that index.)
   */
  static long sortPrefix(String s, int shared) {
    int length = s.length();
    if (length >= 0x7fff) {
      return (long) 0x7fff << (8 * PREFIX_CHARS);
    }
    long key = length;
    boolean open = true;
    for (int i = shared; i < shared + PREFIX_CHARS; i++) {
      int c = 0;
      if (open && i < length) {
        c = Math.min(s.charAt(i), 0xff);
        open = c < 0xff;
      }
      key = key << 8 | c;
    }
    return key;
  }
}
