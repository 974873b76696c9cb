// Measures: DedupWindow.firstSighting at full capacity (1M sightings, 10 min window, append time
// advancing 1 ms every 256 events), for ids it has not seen (insert: miss, evict the oldest
// sighting, insert) and for ids it holds (lookup hit: the hit renews the id, so it also appends).
// Why: the processor asks it once for every event that has an id; under load the window is
// capacity-bound (at 25k events/s per partition a 10 min window would span 15M sightings), so
// these are the steady-state paths, and they were the processor's hottest code.
package io.tally.bench;

import io.tally.core.dedup.DedupWindow;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** One operation is one {@code firstSighting}. Setup fills the window to capacity first. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DedupWindowBench {
  static final long WINDOW_MILLIS = TimeUnit.MINUTES.toMillis(10);
  static final int CAPACITY = 1_000_000;

  /** Events per millisecond of append time: about 256k events/s into one partition. */
  static final int EVENTS_PER_MILLI = 256;

  /** The entity of every sighting: an identity is (entity, id), the ids vary. */
  static final String ENTITY = "video:42";

  /** A full window and a cycle of ids, with the append clock of the measured calls. */
  abstract static class Window {
    final DedupWindow window = new DedupWindow(WINDOW_MILLIS, CAPACITY);
    String[] ids;
    int next;
    long nowMillis = Workload.START_MILLIS;

    /** Sees ids from the cycle until the ring holds {@link #CAPACITY} sightings. */
    void fill(int distinctIds) {
      Workload w = new Workload(4);
      ids = new String[distinctIds];
      for (int i = 0; i < distinctIds; i++) {
        ids[i] = w.id();
      }
      for (int i = 0; i < CAPACITY; i++) {
        see();
      }
    }

    boolean see() {
      if ((next & (EVENTS_PER_MILLI - 1)) == 0) {
        nowMillis++;
      }
      return window.firstSighting(ENTITY, ids[next++ & (ids.length - 1)], nowMillis);
    }
  }

  /** Ids recur only after 2M others, long after the 1M-sighting ring dropped them: all new. */
  @State(Scope.Thread)
  public static class NewIds extends Window {
    @Setup
    public void setUp() {
      fill(1 << 21);
    }
  }

  /** 512k ids seen in turn, each about twice in the ring: every call is a hit. */
  @State(Scope.Thread)
  public static class RepeatedIds extends Window {
    @Setup
    public void setUp() {
      fill(1 << 19);
    }
  }

  @Benchmark
  public boolean insertNewId(NewIds s) {
    return s.see();
  }

  @Benchmark
  public boolean lookupRepeatedId(RepeatedIds s) {
    return s.see();
  }
}
