package io.tally.core.dedup;

import java.util.Arrays;

/**
 * Remembers the identities of one partition's recent events so a re-sent event is counted once.
 *
 * <h2>Design</h2>
 *
 * An event's identity is the pair (entity, id) (DESIGN.md, data model): the same id sent for two
 * entities names two events, whichever partitions the entities hash to. Since the entity fixes the
 * partition, every sighting of an identity reaches the same window, so whether a duplicate is
 * caught never depends on hashing. Below, "id" means this pair.
 *
 * <p>The window is defined by <em>log append time</em>, never by the wall clock at processing time
 * (DESIGN.md invariant 3): an event is a duplicate when an event with the same identity was
 * appended at most {@code windowMillis} before it. Every sighting, duplicate or not, renews the id,
 * so a client that keeps retrying keeps its id remembered. The state after a record therefore
 * depends only on the sightings of the last {@code windowMillis} of append time: replaying exactly
 * that span of the log before a checkpoint rebuilds exactly the state the processor had there. (A
 * rule that kept only the <em>first</em> sighting would not have this property: whether a replayed
 * record was a first sighting depends on records before the span.)
 *
 * <p>Memory is bounded: the window holds at most {@code capacity} sightings. When full, the oldest
 * sighting is dropped early; if it was an id's latest, that id is forgotten (counted in {@link
 * #capacityEvictions()}). This shortens the window under heavy load but stays deterministic, and a
 * rebuild still reproduces it, since it keeps the last {@code capacity} sightings of the same span.
 *
 * <p>Sightings are kept as 128-bit murmur3 hashes of the identity ({@link IdentityHash}: of the
 * chars of entity and id and their lengths, so no two pairs share an input; a false duplicate needs
 * a 128-bit collision; the key costs the same 16 bytes however long entity and id are) in a FIFO
 * ring of (hash, append time), plus an open-addressing index from hash to the ring slot of the id's
 * latest sighting, with linear probing and backward-shift deletion. Each index entry also holds the
 * 32-bit home hash of its id, so probing past another id and shifting entries on deletion are
 * decided within the index, without a cache miss into the ring (these lookups were the processor's
 * hottest code). Cost: 24 bytes per sighting in the ring and 16 to 32 in the index (a power-of-two
 * table of longs at load factor ≤ 0.5), so <b>at most 56 bytes per remembered sighting</b>; arrays
 * start small and double up to the capacity.
 *
 * <p>With millions of ids the index is far larger than the CPU caches, so nearly every lookup
 * misses the cache (and the TLB) once. {@link #expect} and {@link #warm} let the caller hash the
 * next few identities ahead and load their index entries back to back, so that those misses overlap
 * instead of following one another; {@link #firstSighting} then uses the hash computed ahead. They
 * are only a hint: every answer is the same with or without them.
 *
 * <p>Not thread-safe: owned by the thread that processes the partition.
 */
public final class DedupWindow {
  /** Most bytes of heap per remembered sighting at full capacity. */
  public static final int MAX_BYTES_PER_ID = 56;

  /**
   * Share of the heap the windows of all partitions may take at full capacity: an automatic
   * capacity takes {@value #AUTO_HEAP_SHARE} of it, and an explicit one may take at most {@value
   * #MAX_HEAP_SHARE} (the rest is the pending rows, the clients' buffers and the caches).
   */
  public static final double AUTO_HEAP_SHARE = 0.3;

  public static final double MAX_HEAP_SHARE = 0.5;

  /** The automatic capacity's ceiling per partition (and the default of earlier versions). */
  public static final int MAX_AUTO_CAPACITY = 1_000_000;

  private static final int MIN_AUTO_CAPACITY = 10_000;

  /** Most identities {@link #expect expected} ahead of their {@link #firstSighting}. */
  public static final int LOOK_AHEAD = 32;

  private static final int INITIAL_SLOTS = 1024;
  private static final long FREE = -1L;

  private final long windowMillis;
  private final int capacity;

  private long[] hashHi;
  private long[] hashLo;
  private long[] seenAt;
  private int head;
  private int ringSize;
  private int live;

  /** Entries: {@link #hash32} of the id << 32 | ring slot; FREE when empty. */
  private long[] index;

  private int mask;

  private long duplicates;
  private long capacityEvictions;

  /** Hashes identities; reused, since the window has one owning thread. */
  private final IdentityHash hasher = new IdentityHash();

  /** Identities {@link #expect expected}, with their hashes; taken in order from {@code next}. */
  private final String[] aheadEntity = new String[LOOK_AHEAD];

  private final String[] aheadId = new String[LOOK_AHEAD];
  private final long[] aheadHi = new long[LOOK_AHEAD];
  private final long[] aheadLo = new long[LOOK_AHEAD];
  private int aheadNext;
  private int aheadCount;

  /** Sums what {@link #warm} loaded, so that the loads are not optimized away. */
  private long warmed;

  /**
   * @param windowMillis how long after its latest sighting (in append time) an id stays remembered
   * @param capacity most sightings remembered at once
   */
  public DedupWindow(long windowMillis, int capacity) {
    if (windowMillis < 0) {
      throw new IllegalArgumentException("windowMillis must not be negative");
    }
    if (capacity < 1 || capacity > (1 << 28)) {
      throw new IllegalArgumentException("capacity must be between 1 and 2^28, got " + capacity);
    }
    this.windowMillis = windowMillis;
    this.capacity = capacity;
    allocate(Math.min(INITIAL_SLOTS, capacity));
  }

  /**
   * The capacity per partition for which {@code sets} sets of windows of {@code partitions}
   * partitions, all full, take at most {@value #AUTO_HEAP_SHARE} of {@code maxHeapBytes}: {@value
   * #MAX_AUTO_CAPACITY} on a large heap, less on a small one, never below 10,000. A process holds
   * one set per partition for its processors, and a second when the raw export runs (it keeps
   * windows of its own, at the same capacity, to decide exactly as the processors did).
   */
  public static int autoCapacity(long maxHeapBytes, int partitions, int sets) {
    long fits =
        (long) (maxHeapBytes * AUTO_HEAP_SHARE) / ((long) sets * partitions * MAX_BYTES_PER_ID);
    return (int) Math.max(MIN_AUTO_CAPACITY, Math.min(MAX_AUTO_CAPACITY, fits));
  }

  /**
   * Checks that {@code sets} sets of windows of {@code partitions} partitions at {@code capacity}
   * each fit in at most {@value #MAX_HEAP_SHARE} of {@code maxHeapBytes} (see {@link #autoCapacity}
   * for the sets): full windows on a heap too small for them end the process with an {@link
   * OutOfMemoryError} under load, so such a setting is refused at start.
   *
   * @throws IllegalArgumentException naming the bytes needed, the heap and the ways out
   */
  public static void checkFits(int capacity, int partitions, int sets, long maxHeapBytes) {
    long needed = (long) capacity * partitions * sets * MAX_BYTES_PER_ID;
    if (needed > maxHeapBytes * MAX_HEAP_SHARE) {
      throw new IllegalArgumentException(
          String.format(
              "%,d ids per partition × %d partitions%s take up to %,d MB of heap when full, more"
                  + " than half of this JVM's %,d MB (-Xmx): lower the capacity (or leave it"
                  + " 'auto'), use fewer partitions, or give the JVM more heap",
              capacity,
              partitions,
              sets == 1 ? "" : " × " + sets + " (the processors' windows and the raw export's)",
              needed >> 20,
              maxHeapBytes >> 20));
    }
  }

  /**
   * Records the event ({@code entity}, {@code id}) seen at {@code appendTimeMillis} and says
   * whether it was not seen within the window before. Append times must not decrease between calls.
   *
   * @return {@code true} to count the event, {@code false} if it is a duplicate to drop
   */
  public boolean firstSighting(String entity, String id, long appendTimeMillis) {
    expire(appendTimeMillis);
    long hi;
    long lo;
    if (aheadNext < aheadCount && aheadEntity[aheadNext] == entity && aheadId[aheadNext] == id) {
      hi = aheadHi[aheadNext];
      lo = aheadLo[aheadNext];
      aheadEntity[aheadNext] = null;
      aheadId[aheadNext] = null;
      aheadNext++;
    } else {
      forgetExpected();
      hasher.hash(entity, id);
      hi = hasher.hi();
      lo = hasher.lo();
    }
    // Dropping the oldest sighting first leaves one probe to find the id or the place to add it;
    // if the drop forgot this very id, it was remembered until then.
    boolean renewed = false;
    if (ringSize == capacity) {
      renewed = dropOldest(true, hi, lo);
    } else if (ringSize == hashHi.length) {
      grow();
    }
    int pos = find(hi, lo);
    boolean duplicate = renewed || pos >= 0;
    int slot = ringSlot(ringSize);
    hashHi[slot] = hi;
    hashLo[slot] = lo;
    seenAt[slot] = appendTimeMillis;
    ringSize++;
    if (pos >= 0) {
      index[pos] = entry(hi, slot);
    } else {
      index[~pos] = entry(hi, slot);
      live++;
    }
    if (duplicate) {
      duplicates++;
    }
    return !duplicate;
  }

  /**
   * Says that ({@code entity}, {@code id}) is among the next identities to be {@link #firstSighting
   * sighted}, in this order, and hashes it now. Ignored once {@value #LOOK_AHEAD} identities wait.
   * The hash is used only if the very same String instances come next; anything else makes the
   * window forget what it expected.
   */
  public void expect(String entity, String id) {
    if (aheadNext == aheadCount) {
      aheadNext = 0;
      aheadCount = 0;
    }
    if (aheadCount == LOOK_AHEAD) {
      return;
    }
    hasher.hash(entity, id);
    aheadEntity[aheadCount] = entity;
    aheadId[aheadCount] = id;
    aheadHi[aheadCount] = hasher.hi();
    aheadLo[aheadCount] = hasher.lo();
    aheadCount++;
  }

  /**
   * Loads the index entries of the {@link #expect expected} identities back to back, so that their
   * cache misses overlap; and, as many, those of the oldest sightings that their sightings up to
   * {@code appendTimeMillis} will drop (expired, or making room in a full window).
   */
  public void warm(long appendTimeMillis) {
    long sum = warmed;
    for (int k = aheadNext; k < aheadCount; k++) {
      sum += index[home(aheadHi[k])];
    }
    long oldestKept = appendTimeMillis - windowMillis;
    int drops = Math.min(aheadCount - aheadNext, ringSize);
    for (int k = 0; k < drops; k++) {
      int slot = ringSlot(k);
      if (ringSize < capacity && seenAt[slot] >= oldestKept) {
        break;
      }
      sum += index[home(hashHi[slot])];
    }
    warmed = sum;
  }

  private void forgetExpected() {
    for (int k = aheadNext; k < aheadCount; k++) {
      aheadEntity[k] = null;
      aheadId[k] = null;
    }
    aheadNext = 0;
    aheadCount = 0;
  }

  /** Number of distinct identities remembered now. */
  public int size() {
    return live;
  }

  public long windowMillis() {
    return windowMillis;
  }

  public int capacity() {
    return capacity;
  }

  /** Events dropped as duplicates since creation. */
  public long duplicates() {
    return duplicates;
  }

  /** Ids forgotten before their window ended because the window was full. */
  public long capacityEvictions() {
    return capacityEvictions;
  }

  private void expire(long now) {
    long oldestKept = now - windowMillis;
    while (ringSize > 0 && seenAt[head] < oldestKept) {
      dropOldest(false, 0, 0);
    }
  }

  /**
   * Index position of the id with this hash if it is remembered; else {@code ~p}, where {@code p}
   * is the free position that ended the probe (where the id is to be added).
   */
  private int find(long hi, long lo) {
    int fingerprint = hash32(hi);
    int pos = fingerprint & mask;
    for (; index[pos] != FREE; pos = (pos + 1) & mask) {
      long e = index[pos];
      if ((int) (e >>> 32) == fingerprint) {
        int slot = (int) e;
        if (hashHi[slot] == hi && hashLo[slot] == lo) {
          return pos;
        }
      }
    }
    return ~pos;
  }

  /** The ring slot of the {@code k}-th oldest sighting, for {@code k} below the ring's length. */
  private int ringSlot(int k) {
    int slot = head + k;
    return slot < hashHi.length ? slot : slot - hashHi.length;
  }

  private static long entry(long hi, int slot) {
    return entry(hash32(hi), slot);
  }

  /** An index entry: the id's 32-bit home hash, then its ring slot. */
  private static long entry(int fingerprint, int slot) {
    return ((long) fingerprint << 32) | (slot & 0xFFFFFFFFL);
  }

  /**
   * Drops the oldest sighting and forgets its id if it was the id's latest sighting. When that
   * makes room for a sighting of {@code (hi, lo)}, it counts as a capacity eviction unless the id
   * is the one being seen again, which stays.
   *
   * @return whether it forgot the id {@code (hi, lo)}
   */
  private boolean dropOldest(boolean forCapacity, long hi, long lo) {
    int slot = head;
    boolean renewed = false;
    for (int pos = home(hashHi[slot]); index[pos] != FREE; pos = (pos + 1) & mask) {
      if ((int) index[pos] == slot) {
        deleteAt(pos);
        live--;
        renewed = hashHi[slot] == hi && hashLo[slot] == lo;
        if (forCapacity && !renewed) {
          capacityEvictions++;
        }
        break;
      }
    }
    head = ringSlot(1);
    ringSize--;
    return renewed;
  }

  /** Backward-shift deletion keeps every probe chain unbroken without tombstones. */
  private void deleteAt(int hole) {
    int i = hole;
    int j = hole;
    while (true) {
      j = (j + 1) & mask;
      if (index[j] == FREE) {
        break;
      }
      int k = (int) (index[j] >>> 32) & mask;
      boolean staysPut = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (!staysPut) {
        index[i] = index[j];
        i = j;
      }
    }
    index[i] = FREE;
  }

  private int home(long hi) {
    return hash32(hi) & mask;
  }

  private static int hash32(long hi) {
    return (int) (hi ^ (hi >>> 32));
  }

  /**
   * Doubles the arrays (up to the capacity). The ring is copied oldest first, so every slot moves
   * from {@code s} to {@code s - head} (mod the old length); the index is rebuilt from the old
   * index's entries, read in order, rather than by looking up every sighting of the ring: each
   * entry lands at its home in the new table or just after it, and a home there is the old one or
   * the old one plus the old table's size, so both tables are walked nearly in order instead of at
   * random.
   */
  private void grow() {
    long[] hi = hashHi;
    long[] lo = hashLo;
    long[] at = seenAt;
    long[] oldIndex = index;
    int oldHead = head;
    int oldLength = hi.length;
    int n = ringSize;
    int ids = live;
    allocate((int) Math.min((long) oldLength * 2, capacity));
    int first = Math.min(n, oldLength - oldHead);
    System.arraycopy(hi, oldHead, hashHi, 0, first);
    System.arraycopy(lo, oldHead, hashLo, 0, first);
    System.arraycopy(at, oldHead, seenAt, 0, first);
    System.arraycopy(hi, 0, hashHi, first, n - first);
    System.arraycopy(lo, 0, hashLo, first, n - first);
    System.arraycopy(at, 0, seenAt, first, n - first);
    for (long e : oldIndex) {
      if (e != FREE) {
        int slot = (int) e - oldHead;
        int fingerprint = (int) (e >>> 32);
        int pos = fingerprint & mask;
        while (index[pos] != FREE) {
          pos = (pos + 1) & mask;
        }
        index[pos] = entry(fingerprint, slot < 0 ? slot + oldLength : slot);
      }
    }
    ringSize = n;
    live = ids;
  }

  private void allocate(int slots) {
    hashHi = new long[slots];
    hashLo = new long[slots];
    seenAt = new long[slots];
    int tableSize = Integer.highestOneBit(Math.max(2, slots) * 2 - 1) * 2;
    index = new long[tableSize];
    Arrays.fill(index, FREE);
    mask = tableSize - 1;
    head = 0;
    ringSize = 0;
    live = 0;
  }
}
