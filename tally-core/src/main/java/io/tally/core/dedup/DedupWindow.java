package io.tally.core.dedup;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * Remembers the ids of one partition's recent events so a re-sent event is counted once.
 *
 * <h2>Design</h2>
 *
 * The window is defined by <em>log append time</em>, never by the wall clock at processing time
 * (DESIGN.md invariant 3): an event is a duplicate when an event with the same id was first seen
 * at an append time within {@code windowMillis} before its own. Because the decision depends only
 * on the sequence of (id, append time) pairs fed in, replaying the log from the window's start up
 * to a checkpoint rebuilds exactly the state the processor had at that checkpoint.
 *
 * <p>Memory is bounded: at most {@code capacity} ids are remembered. When full, the oldest id is
 * forgotten early (counted in {@link #capacityEvictions()}), which shortens the window under
 * heavy load but stays deterministic. Ids are kept as 128-bit murmur3 hashes (a false duplicate
 * needs a 128-bit collision) in a FIFO ring of (hash, append time) plus an open-addressing index
 * of ring slots with linear probing and backward-shift deletion. Cost: 24 bytes per id in the
 * ring and 8 to 16 in the index (a power-of-two table at load factor ≤ 0.5), so <b>at most 40
 * bytes per remembered id</b>; arrays start small and double up to the capacity.
 *
 * <p>Not thread-safe: owned by the thread that processes the partition.
 */
public final class DedupWindow {
  /** Most bytes of heap per remembered id at full capacity (ring + index at load factor ≤ 0.5). */
  public static final int MAX_BYTES_PER_ID = 40;

  private static final int INITIAL_SLOTS = 1024;
  private static final int EMPTY = -1;

  private final long windowMillis;
  private final int capacity;

  private long[] hashHi;
  private long[] hashLo;
  private long[] seenAt;
  private int head;
  private int size;
  private int[] index;
  private int mask;

  private long duplicates;
  private long capacityEvictions;

  /**
   * @param windowMillis how long after its first sighting (in append time) an id stays remembered
   * @param capacity most ids remembered at once
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
   * Records {@code id} seen at {@code appendTimeMillis} and says whether this is its first
   * sighting inside the window. Append times must not decrease between calls.
   *
   * @return {@code true} to count the event, {@code false} if it is a duplicate to drop
   */
  public boolean firstSighting(String id, long appendTimeMillis) {
    expire(appendTimeMillis);
    byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
    long[] h = MurmurHash3.hash128x64(bytes, 0, bytes.length, 0);
    if (find(h[0], h[1]) != EMPTY) {
      duplicates++;
      return false;
    }
    if (size == capacity) {
      removeOldest();
      capacityEvictions++;
    } else if (size == hashHi.length) {
      grow();
    }
    int slot = (head + size) % hashHi.length;
    hashHi[slot] = h[0];
    hashLo[slot] = h[1];
    seenAt[slot] = appendTimeMillis;
    size++;
    int pos = home(h[0]);
    while (index[pos] != EMPTY) {
      pos = (pos + 1) & mask;
    }
    index[pos] = slot;
    return true;
  }

  /** Number of ids remembered now. */
  public int size() {
    return size;
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
    while (size > 0 && seenAt[head] < oldestKept) {
      removeOldest();
    }
  }

  private int find(long hi, long lo) {
    for (int pos = home(hi); index[pos] != EMPTY; pos = (pos + 1) & mask) {
      int slot = index[pos];
      if (hashHi[slot] == hi && hashLo[slot] == lo) {
        return slot;
      }
    }
    return EMPTY;
  }

  private void removeOldest() {
    int slot = head;
    int pos = home(hashHi[slot]);
    while (index[pos] != slot) {
      pos = (pos + 1) & mask;
    }
    deleteAt(pos);
    head = (head + 1) % hashHi.length;
    size--;
  }

  /** Backward-shift deletion keeps every probe chain unbroken without tombstones. */
  private void deleteAt(int hole) {
    int i = hole;
    int j = hole;
    while (true) {
      j = (j + 1) & mask;
      if (index[j] == EMPTY) {
        break;
      }
      int k = home(hashHi[index[j]]);
      boolean staysPut = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (!staysPut) {
        index[i] = index[j];
        i = j;
      }
    }
    index[i] = EMPTY;
  }

  private int home(long hi) {
    return (int) (hi ^ (hi >>> 32)) & mask;
  }

  private void grow() {
    long[] hi = hashHi;
    long[] lo = hashLo;
    long[] at = seenAt;
    int oldHead = head;
    int n = size;
    allocate((int) Math.min((long) hi.length * 2, capacity));
    for (int i = 0; i < n; i++) {
      int from = (oldHead + i) % hi.length;
      hashHi[i] = hi[from];
      hashLo[i] = lo[from];
      seenAt[i] = at[from];
      int pos = home(hashHi[i]);
      while (index[pos] != EMPTY) {
        pos = (pos + 1) & mask;
      }
      index[pos] = i;
    }
    size = n;
  }

  private void allocate(int slots) {
    hashHi = new long[slots];
    hashLo = new long[slots];
    seenAt = new long[slots];
    int tableSize = Integer.highestOneBit(Math.max(2, slots) * 2 - 1) * 2;
    index = new int[tableSize];
    Arrays.fill(index, EMPTY);
    mask = tableSize - 1;
    head = 0;
    size = 0;
  }
}
