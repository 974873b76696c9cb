package io.tally.core.aggregate;

import io.tally.core.uniques.ActorSketchBuilder;
import java.util.Arrays;

/**
 * The series (entity, type) of one flush, numbered densely in order of arrival, each with a fixed
 * record of {@link #STRIDE} longs in {@link #records} and four actor slots in {@link #actors}; and
 * an open-addressing index from (entity, type) to the number.
 *
 * <p>The index is a power-of-two table of longs at load factor ≤ 0.5, each entry {@code hash << 32
 * | (number + 1)} (0: free), probed linearly: probing past other series is decided within the
 * table, and a match costs one look at the series' entity and type references (the processor's
 * strings come from a cache, so equal strings are usually the same instance). With the record
 * inline in one long array, an event touches about three cache lines instead of the five objects of
 * a map of maps.
 *
 * <p>A series is never removed: {@link #clear} forgets them all at once (after a drain).
 *
 * <p>Not thread-safe: owned by the aggregator's thread.
 */
final class SeriesTable {
  /** Longs per series in {@link #records}: the layout is {@link DeltaAggregator}'s. */
  static final int STRIDE = 8;

  /** Actor slots per series in {@link #actors}: minute, hour, day, total. */
  static final int ACTOR_SLOTS = 4;

  private static final int MIN_CAPACITY = 16;

  String[] entities;
  String[] types;
  long[] records;

  /** Null until the first actor of a flush; then {@link #ACTOR_SLOTS} builders per series. */
  ActorSketchBuilder[] actors;

  private long[] index;
  private int mask;
  private int size;

  /** The length of the prefix every entity of the table shares (0 when empty). */
  private int sharedPrefix;

  SeriesTable() {
    allocate(MIN_CAPACITY);
  }

  /** Number of series. */
  int size() {
    return size;
  }

  /**
   * How many leading chars every entity in the table has in common: names like {@code video:123}
   * share theirs, and a sort that skips it compares what tells them apart. Kept as series are
   * added, while the new entity is in the cache anyway.
   */
  int sharedEntityPrefix() {
    return sharedPrefix;
  }

  /**
   * The number of series (entity, type), adding it if it is new (a new series' record is not
   * initialized: the caller sees {@link #size()} grow and fills it).
   */
  int idOf(String entity, String type) {
    int h = hash(entity, type);
    int pos = home(h);
    while (true) {
      long e = index[pos];
      if (e == 0) {
        return insert(pos, h, entity, type);
      }
      if ((int) (e >>> 32) == h) {
        int id = (int) e - 1;
        String known = entities[id];
        if (known.equals(entity) && types[id].equals(type)) {
          if (known != entity) {
            // the caller's instance is the one its string cache holds now: the next lookup of
            // this entity likely compares by reference
            entities[id] = entity;
          }
          return id;
        }
      }
      pos = (pos + 1) & mask;
    }
  }

  private static int hash(String entity, String type) {
    return 31 * entity.hashCode() + type.hashCode();
  }

  /**
   * Loads what {@link #idOf} will read for (entity, type) — the index entry, the series' entity
   * string and the first line of its record — and returns a sum of them to keep the loads.
   */
  long touch(String entity, String type) {
    int h = hash(entity, type);
    int pos = home(h);
    while (true) {
      long e = index[pos];
      if (e == 0) {
        return 0;
      }
      if ((int) (e >>> 32) == h) {
        int id = (int) e - 1;
        return entities[id].length() + records[id * STRIDE];
      }
      pos = (pos + 1) & mask;
    }
  }

  /** The actor builders of every series ({@link #ACTOR_SLOTS} each), allocated on first use. */
  ActorSketchBuilder[] actorSlots() {
    if (actors == null) {
      actors = new ActorSketchBuilder[entities.length * ACTOR_SLOTS];
    }
    return actors;
  }

  /**
   * Forgets every series. The arrays are kept when they fit {@code expected} series, else they are
   * made for that many: sized for a flush like the last one, a table stays small for small flushes.
   */
  void clear(int expected) {
    int capacity = capacityFor(expected);
    if (entities.length > 2 * capacity) {
      allocate(capacity);
    } else {
      Arrays.fill(index, 0L);
      Arrays.fill(entities, 0, size, null);
      Arrays.fill(types, 0, size, null);
      actors = null;
    }
    size = 0;
    sharedPrefix = 0;
  }

  /** The chars {@code a} and {@code b} share at their start, at most {@code max}. */
  private static int sharedPrefix(String a, String b, int max) {
    int n = Math.min(max, b.length());
    for (int i = 0; i < n; i++) {
      if (a.charAt(i) != b.charAt(i)) {
        return i;
      }
    }
    return n;
  }

  private int insert(int pos, int h, String entity, String type) {
    if (size == entities.length) {
      grow();
      pos = home(h);
      while (index[pos] != 0) {
        pos = (pos + 1) & mask;
      }
    }
    int id = size++;
    sharedPrefix = id == 0 ? entity.length() : sharedPrefix(entities[0], entity, sharedPrefix);
    entities[id] = entity;
    types[id] = type;
    index[pos] = ((long) h << 32) | (id + 1);
    return id;
  }

  private void grow() {
    long[] old = index;
    int capacity = entities.length * 2;
    entities = Arrays.copyOf(entities, capacity);
    types = Arrays.copyOf(types, capacity);
    records = Arrays.copyOf(records, capacity * STRIDE);
    if (actors != null) {
      actors = Arrays.copyOf(actors, capacity * ACTOR_SLOTS);
    }
    newIndex(capacity);
    for (long e : old) {
      if (e != 0) {
        int pos = home((int) (e >>> 32));
        while (index[pos] != 0) {
          pos = (pos + 1) & mask;
        }
        index[pos] = e;
      }
    }
  }

  private void allocate(int capacity) {
    entities = new String[capacity];
    types = new String[capacity];
    records = new long[capacity * STRIDE];
    actors = null;
    newIndex(capacity);
  }

  private void newIndex(int capacity) {
    index = new long[capacity * 2];
    mask = index.length - 1;
  }

  private static int capacityFor(int series) {
    int wanted = Math.max(MIN_CAPACITY, series * 4 / 3 + 1);
    return Integer.highestOneBit(wanted - 1) << 1;
  }

  private int home(int h) {
    int m = h * 0x9E3779B9;
    return (m ^ (m >>> 16)) & mask;
  }
}
