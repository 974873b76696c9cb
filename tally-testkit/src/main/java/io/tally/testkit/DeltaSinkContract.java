package io.tally.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import io.tally.core.store.DeltaSource;
import io.tally.model.Granularity;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link DeltaSink} must do for the flush protocol: a batch's deltas and checkpoints are
 * applied together, deltas of successive batches add up, and each partition's checkpoint is the
 * newest written. Subclasses open a fresh, empty sink in {@link #open()} and say how to read back
 * what it applied ({@link #count}).
 *
 * <p>Every batch is written as if read back from a log of deltas at the next offset ({@link
 * DeltaSource}), so that sinks idempotent by position (Cassandra) run the same suite; sinks of
 * flushes (RocksDB, in memory) ignore the source.
 */
public abstract class DeltaSinkContract {
  protected static final long T = 1_769_860_800_000L; // 2026-01-31T12:00:00Z

  protected abstract void open() throws Exception;

  protected abstract DeltaSink sink();

  /** The applied count of {@code key}, as the sink's store reads it (0 if never written). */
  protected abstract long count(CounterKey key);

  protected void closeSink() throws Exception {}

  @BeforeEach
  void openFreshSink() throws Exception {
    open();
  }

  @AfterEach
  void close() throws Exception {
    closeSink();
  }

  private static final CounterKey TOTAL = CounterKey.total("video:1", "view");
  private static final CounterKey MINUTE =
      new CounterKey("video:1", "view", Granularity.MINUTE, T - T % 60_000);

  private static CounterDelta delta(CounterKey key, long count) {
    return new CounterDelta(key, count, count);
  }

  private static Checkpoint cp(int partition, long next) {
    return new Checkpoint(partition, next, T + next, T + next);
  }

  private long nextOffset;

  /** A batch sourced at the next offset of the partition of its first checkpoint (else 0). */
  private DeltaBatch batch(List<CounterDelta> deltas, List<Checkpoint> checkpoints) {
    return batch(checkpoints.isEmpty() ? 0 : checkpoints.get(0).partition(), deltas, checkpoints);
  }

  private DeltaBatch batch(int partition, List<CounterDelta> deltas, List<Checkpoint> checkpoints) {
    return new DeltaBatch(deltas, checkpoints, new DeltaSource(partition, nextOffset++));
  }

  @Test
  void aPartitionNeverWrittenHasNoCheckpoint() {
    assertThat(sink().checkpoint(0)).isEmpty();
    assertThat(sink().checkpoint(7)).isEmpty();
  }

  @Test
  void aBatchAppliesItsDeltasAndItsCheckpointsTogether() {
    sink().write(batch(List.of(delta(TOTAL, 3), delta(MINUTE, 3)), List.of(cp(1, 3))));
    assertThat(count(TOTAL)).isEqualTo(3);
    assertThat(count(MINUTE)).isEqualTo(3);
    assertThat(sink().checkpoint(1)).contains(cp(1, 3));
  }

  @Test
  void deltasOfSuccessiveBatchesAddUpAndTheNewestCheckpointWins() {
    sink().write(batch(List.of(delta(TOTAL, 2)), List.of(cp(1, 2))));
    sink().write(batch(List.of(delta(TOTAL, 5)), List.of(cp(1, 7))));
    assertThat(count(TOTAL)).isEqualTo(7);
    assertThat(sink().checkpoint(1)).contains(cp(1, 7));
  }

  @Test
  void aBatchOfCheckpointsOnlyMovesThemAndNoCounter() {
    sink().write(batch(List.of(delta(TOTAL, 1)), List.of(cp(0, 1))));
    sink().write(batch(List.of(), List.of(cp(0, 1), cp(2, 4))));
    assertThat(count(TOTAL)).isEqualTo(1);
    assertThat(sink().checkpoint(0)).contains(cp(0, 1));
    assertThat(sink().checkpoint(2)).contains(cp(2, 4));
  }

  @Test
  void eachPartitionKeepsItsOwnCheckpoint() {
    sink().write(batch(List.of(), List.of(cp(0, 10), cp(1, 20))));
    sink().write(batch(List.of(), List.of(cp(1, 25))));
    assertThat(sink().checkpoint(0)).contains(cp(0, 10));
    assertThat(sink().checkpoint(1)).contains(cp(1, 25));
    assertThat(sink().checkpoint(2)).isEmpty();
  }

  @Test
  void manyRowsInOneBatchAreAllApplied() {
    List<CounterDelta> deltas = new ArrayList<>();
    for (int i = 0; i < 2_500; i++) {
      deltas.add(delta(CounterKey.total("video:" + i, "view"), i + 1));
    }
    sink().write(batch(deltas, List.of(cp(3, 2_500))));
    assertThat(count(CounterKey.total("video:0", "view"))).isEqualTo(1);
    assertThat(count(CounterKey.total("video:2499", "view"))).isEqualTo(2_500);
    assertThat(sink().checkpoint(3)).contains(cp(3, 2_500));
  }

  @Test
  void batchesWrittenTogetherAddUpAsIfWrittenOneByOne() {
    List<DeltaBatch> batches = new ArrayList<>();
    batches.add(batch(1, List.of(delta(TOTAL, 2), delta(MINUTE, 2)), List.of()));
    batches.add(batch(1, List.of(delta(TOTAL, 3)), List.of()));
    batches.add(batch(List.of(delta(TOTAL, 4), delta(MINUTE, 1)), List.of(cp(1, 9))));
    sink().writeAll(batches);
    assertThat(count(TOTAL)).isEqualTo(9);
    assertThat(count(MINUTE)).isEqualTo(3);
    assertThat(sink().checkpoint(1)).contains(cp(1, 9));
  }
}
