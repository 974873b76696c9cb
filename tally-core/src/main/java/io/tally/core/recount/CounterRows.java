package io.tally.core.recount;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.store.Checkpoint;
import io.tally.core.topk.SlotCorrection;
import io.tally.core.topk.SlotKey;
import io.tally.core.topk.TopKConfig;
import io.tally.model.Granularity;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.datasketches.frequencies.ItemsSketch;

/**
 * The counter rows (and the Top-K slots) as a recount sees them: a consistent snapshot to compare
 * with, and a way to replace rows and correct slots that keeps every delta applied after the
 * snapshot (embedded mode: {@code RocksDbCounterStore}).
 *
 * <p>Implementations are thread-safe.
 */
public interface CounterRows {

  /** The rows and checkpoints as of now, read from one consistent state. */
  Snapshot snapshot();

  /**
   * The Top-K this store keeps and a recount rebuilds through {@link Snapshot#topKSlots} and {@link
   * Snapshot#replace(int, List, List)}; {@link TopKConfig#DISABLED} (the default): a recount leaves
   * the Top-K slots as they are.
   */
  default TopKConfig topK() {
    return TopKConfig.DISABLED;
  }

  /**
   * A partition's Top-K slots in a snapshot.
   *
   * @param slots the slot sketches holding exactly the minute deltas of the events below the
   *     partition's checkpoint in the snapshot; the caller only reads them
   * @param moved slots written after the snapshot (a store without snapshots: cluster mode), so
   *     neither known as of it nor correctable by it
   */
  record Slots(Map<SlotKey, ItemsSketch<String>> slots, Set<SlotKey> moved) {
    public Slots {
      slots = Map.copyOf(slots);
      moved = Set.copyOf(moved);
    }
  }

  /** One row's count and sum. */
  record Row(CounterKey key, long count, long sum) {
    public Row {
      requireNonNull(key, "key");
    }
  }

  /**
   * The rows and checkpoints at one instant: every row holds exactly the deltas of the events below
   * its writing partition's {@link #checkpoint}. Used by one thread; close it when done.
   */
  interface Snapshot extends AutoCloseable {

    /** The checkpoint of {@code partition} in the snapshot, if any was written. */
    Optional<Checkpoint> checkpoint(int partition);

    /**
     * Calls {@code each} with every row of {@code granularity} (minute, hour or day) whose bucket
     * starts in {@code [fromMillis, toMillis)} and whose count is not 0, of every entity and type.
     */
    void forEachRow(Granularity granularity, long fromMillis, long toMillis, Consumer<Row> each);

    /** The row {@code key} in the snapshot (count 0, sum 0 if absent). */
    Row read(CounterKey key);

    /**
     * Sets each of {@code rows} to its value as of this snapshot, atomically: the store adds {@code
     * value − value in the snapshot}, so whatever was applied since the snapshot stays on top. The
     * rows must all be written by one partition (DESIGN.md invariant 4); sums must be exact.
     *
     * @throws io.tally.model.TallyException if the write failed; then nothing changed
     */
    void replace(List<Row> rows);

    /**
     * The Top-K slots of {@code partition} in the snapshot (only called when {@link
     * CounterRows#topK()} is enabled).
     */
    default Slots topKSlots(int partition) {
      return new Slots(Map.of(), Set.of());
    }

    /**
     * {@link #replace(List)} for the rows of {@code partition} and, in the same atomic write,
     * applies {@code slots}, the corrections of the partition's Top-K slots, to the slots as they
     * are then ({@link io.tally.core.topk.TopKSlots.Update#correct}): what was added since the
     * snapshot stays on top.
     *
     * @throws UnsupportedOperationException if {@code slots} is not empty and this store does not
     *     rebuild Top-K ({@link CounterRows#topK()} disabled)
     */
    default void replace(int partition, List<Row> rows, List<SlotCorrection> slots) {
      if (!slots.isEmpty()) {
        throw new UnsupportedOperationException("this store does not correct Top-K slots");
      }
      if (!rows.isEmpty()) {
        replace(rows);
      }
    }

    @Override
    void close();
  }
}
