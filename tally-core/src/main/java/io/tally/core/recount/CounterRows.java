package io.tally.core.recount;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.store.Checkpoint;
import io.tally.model.Granularity;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The counter rows as a recount sees them: a consistent snapshot to compare with, and a way to
 * replace rows that keeps every delta applied after the snapshot (embedded mode: {@code
 * RocksDbCounterStore}).
 *
 * <p>Implementations are thread-safe.
 */
public interface CounterRows {

  /** The rows and checkpoints as of now, read from one consistent state. */
  Snapshot snapshot();

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

    @Override
    void close();
  }
}
