package io.tally.core.topk;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.enrich.DerivedEntities;
import io.tally.model.Granularity;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.datasketches.frequencies.ItemsSketch;

/**
 * One partition's Top-K state: a frequent-items sketch per (type, window, slot), fed by the
 * partition's minute deltas. A minute delta {@code (entity, type, minute, count)} adds {@code
 * count} to {@code entity} in the slot of every window that holds {@code minute}. Deltas carry
 * event time, so a slot counts its events no matter when they were processed.
 *
 * <h2>Updates are staged, then committed</h2>
 *
 * A writer stages a batch in an {@link Update} on copies of the slots it touches ({@link
 * SlotSketches#copy}), writes {@link Update#changed()} and deletes {@link Update#expired()} in its
 * store atomically with what else the batch holds, and only then {@link Update#commit() commits}. A
 * failed write leaves the committed state as it was, so the same batch can be staged again without
 * counting twice.
 *
 * <p>Positions guard replays where the store write is not atomic with a checkpoint (cluster mode):
 * each slot remembers the position of the last delta applied to it, and a delta at a position at or
 * below that is skipped. Where the write is atomic with the checkpoint (embedded mode) deltas are
 * added {@link #UNPOSITIONED}.
 *
 * <p>Memory is bounded: a delta for a slot already past its window is ignored, and slots past their
 * window are expired at each update. A slot holds at most {@code sketchSize} entries.
 *
 * <p>Thread-safety: {@link #update} and {@link #load} belong to the one thread that writes the
 * partition; {@link #collect} may be called from any thread and sees committed slots only, whose
 * sketches are never changed after they are committed.
 */
public final class TopKSlots {
  /** Position of a delta whose write is atomic with its checkpoint: applied unconditionally. */
  public static final long UNPOSITIONED = Long.MIN_VALUE;

  /**
   * A slot an update changed, as its store writes it.
   *
   * @param bytes the serialized sketch ({@link SlotSketches})
   * @param sketch the same sketch, read-only
   * @param position the position of the last delta applied, or {@link #UNPOSITIONED}
   */
  public record Slot(byte[] bytes, ItemsSketch<String> sketch, long position) {}

  /**
   * A committed slot: its sketch (read-only) and the position of the last delta applied, or {@link
   * #UNPOSITIONED}. Its bytes are not kept: they were written, and an update copies the sketch.
   */
  public record Committed(ItemsSketch<String> sketch, long position) {}

  private final int partition;
  private final TopKConfig config;
  private final ConcurrentHashMap<SlotKey, Committed> committed = new ConcurrentHashMap<>();

  public TopKSlots(int partition, TopKConfig config) {
    this.partition = partition;
    this.config = requireNonNull(config, "config");
  }

  public int partition() {
    return partition;
  }

  /**
   * Installs a slot read from the store (at start, or when the partition is assigned).
   *
   * @throws io.tally.core.codec.CorruptRecordException if {@code bytes} is not a slot sketch
   */
  public void load(SlotKey key, byte[] bytes, long position) {
    committed.put(key, new Committed(SlotSketches.deserialize(bytes), position));
  }

  /** Forgets every slot (when the partition is revoked, or before reloading it). */
  public void clear() {
    committed.clear();
  }

  /** Committed slots. */
  public int size() {
    return committed.size();
  }

  /** Calls {@code each} with every committed slot. */
  public void forEach(java.util.function.BiConsumer<SlotKey, Committed> each) {
    committed.forEach(each);
  }

  /** The committed slot {@code key}, or null. */
  public Committed slot(SlotKey key) {
    return committed.get(key);
  }

  /**
   * Adds the committed sketches of (type, window) starting at or after {@code firstSlotStartMillis}
   * to {@code out}.
   */
  public void collect(
      String type, TopKWindow window, long firstSlotStartMillis, List<ItemsSketch<String>> out) {
    committed.forEach(
        (k, slot) -> {
          if (k.window().equals(window)
              && k.slotStartMillis() >= firstSlotStartMillis
              && k.type().equals(type)) {
            out.add(slot.sketch());
          }
        });
  }

  /** Starts staging a batch; {@code nowMillis} decides which slots are past their window. */
  public Update update(long nowMillis) {
    return new Update(nowMillis);
  }

  private static final class Working {
    ItemsSketch<String> sketch;
    final long basePosition;
    long position;

    Working(ItemsSketch<String> sketch, long position) {
      this.sketch = sketch;
      this.basePosition = position;
      this.position = position;
    }
  }

  /** The staged changes of one batch. Not thread-safe: used by the partition's writer thread. */
  public final class Update {
    private final long nowMillis;
    private final Map<SlotKey, Working> working = new HashMap<>();
    private Map<SlotKey, Slot> changed;

    /**
     * Per window (in {@code config.windows()} order), the slot the last delta went to: a flush's
     * minute deltas nearly all share a type and a slot, so most find theirs here, without a key or
     * a map lookup (these were a third of the processor's top-K cost).
     */
    private final String[] lastType;

    private final long[] lastStart;
    private final Working[] lastWorking;

    private Update(long nowMillis) {
      this.nowMillis = nowMillis;
      int windows = config.windows().size();
      lastType = new String[windows];
      lastStart = new long[windows];
      lastWorking = new Working[windows];
    }

    /**
     * Adds a minute delta of this partition at {@code position} ({@link #UNPOSITIONED}, or a
     * position that does not decrease within an update). Deltas of other granularities, of count 0,
     * or for slots already past their window are ignored.
     */
    public void add(CounterDelta d, long position) {
      if (d.key().granularity() != Granularity.MINUTE || d.count() == 0) {
        return;
      }
      if (changed != null) {
        throw new IllegalStateException("the update was already serialized");
      }
      List<TopKWindow> windows = config.windows();
      String type = d.key().type();
      for (int i = 0; i < windows.size(); i++) {
        TopKWindow w = windows.get(i);
        long start = w.slotStart(d.key().bucketStartMillis());
        if (w.expired(start, nowMillis)) {
          continue;
        }
        Working s = lastWorking[i];
        if (s == null || lastStart[i] != start || !type.equals(lastType[i])) {
          s = working.computeIfAbsent(new SlotKey(type, w, start), this::open);
          lastType[i] = type;
          lastStart[i] = start;
          lastWorking[i] = s;
        }
        if (position != UNPOSITIONED) {
          if (position <= s.basePosition) {
            continue; // applied before: a replay
          }
          s.position = Math.max(s.position, position);
        }
        // a derived entity's shard rows (channel:c1~3) rank as the entity itself (channel:c1)
        s.sketch.update(DerivedEntities.baseName(d.key().entity()), d.count());
      }
    }

    /**
     * Applies a recount's correction at {@code position} (as {@link #add}): the slot becomes its
     * exact counts plus the correction's ({@link SlotSketches#corrected}), so what was added since
     * the recount's cut stays on top. A slot past its window, of a window no longer kept, or
     * replayed (position at or below the slot's) is left as it is.
     *
     * @return false if the slot was left as it is because it is not {@linkplain
     *     SlotSketches#isExact exact} (it gained entities past its exact size since the cut)
     */
    public boolean correct(SlotCorrection c, long position) {
      if (changed != null) {
        throw new IllegalStateException("the update was already serialized");
      }
      SlotKey k = c.slot();
      if (!config.windows().contains(k.window())
          || k.window().expired(k.slotStartMillis(), nowMillis)) {
        return true;
      }
      Working s = working.computeIfAbsent(k, this::open);
      if (position != UNPOSITIONED && position <= s.basePosition) {
        return true; // applied before: a replay
      }
      if (!SlotSketches.isExact(s.sketch)) {
        return false;
      }
      if (position != UNPOSITIONED) {
        s.position = Math.max(s.position, position);
      }
      s.sketch = SlotSketches.corrected(s.sketch, c.counts(), config.sketchSize());
      return true;
    }

    private Working open(SlotKey key) {
      Committed c = committed.get(key);
      return c == null
          ? new Working(new ItemsSketch<>(config.sketchSize()), UNPOSITIONED)
          : new Working(SlotSketches.copy(c.sketch()), c.position());
    }

    /** The slots this update changed, serialized, to be written with the batch. */
    public Map<SlotKey, Slot> changed() {
      if (changed == null) {
        changed = new HashMap<>();
        working.forEach(
            (k, s) -> {
              if (s.position != s.basePosition || s.position == UNPOSITIONED) {
                changed.put(k, new Slot(SlotSketches.serialize(s.sketch), s.sketch, s.position));
              }
            });
      }
      return changed;
    }

    /** The committed slots past their window, to be deleted with the batch. */
    public Set<SlotKey> expired() {
      Set<SlotKey> out = new HashSet<>();
      for (SlotKey k : committed.keySet()) {
        if (k.window().expired(k.slotStartMillis(), nowMillis)) {
          out.add(k);
        }
      }
      return out;
    }

    /**
     * Makes the staged slots the committed ones and drops the expired; call once the store write
     * succeeded.
     */
    public void commit() {
      Set<SlotKey> gone = expired();
      changed().forEach((k, s) -> committed.put(k, new Committed(s.sketch(), s.position())));
      gone.forEach(committed::remove);
    }
  }
}
