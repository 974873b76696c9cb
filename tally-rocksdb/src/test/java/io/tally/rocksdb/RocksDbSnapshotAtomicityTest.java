package io.tally.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.recount.CounterRows;
import io.tally.core.store.Checkpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recount's snapshot sees each processor write whole. RocksDB runs with {@code unordered_write}
 * ({@link RocksDbStorage}), which inserts a batch into the memtable after making its sequence
 * visible, so a bare {@code getSnapshot()} taken during a large write may hold part of it: rows
 * counted without their checkpoint, which a recount would "correct" away. The store takes its
 * snapshots while no write is landing; this test writes large batches while taking snapshots
 * without a pause and checks every snapshot's rows against its checkpoint.
 */
class RocksDbSnapshotAtomicityTest {
  private static final int ROWS = 20_000;
  private static final int BATCHES = 40;

  @TempDir Path dir;

  @Test
  void everySnapshotHoldsWholeWrites() throws Exception {
    try (RocksDbStorage storage = RocksDbStorage.open(dir.resolve("data"), 8)) {
      RocksDbCounterStore store = new RocksDbCounterStore(storage);
      List<CounterKey> keys = new ArrayList<>();
      for (int i = 0; i < ROWS; i++) {
        keys.add(CounterKey.total("video:" + i, "view"));
      }
      AtomicBoolean stop = new AtomicBoolean();
      CompletableFuture<Void> writer =
          CompletableFuture.runAsync(
              () -> {
                for (int k = 1; k <= BATCHES && !stop.get(); k++) {
                  List<CounterDelta> deltas = new ArrayList<>(ROWS);
                  for (CounterKey key : keys) {
                    deltas.add(new CounterDelta(key, 1, 1));
                  }
                  store.write(new DeltaBatch(deltas, List.of(new Checkpoint(0, k, k, k))));
                }
              });
      int snapshots = 0;
      int inBetween = 0;
      try {
        while (!writer.isDone() || snapshots == 0) {
          try (CounterRows.Snapshot s = store.snapshot()) {
            long written = s.checkpoint(0).map(Checkpoint::nextOffset).orElse(0L);
            // the first and last rows of the batch, and one in the middle
            for (int i : new int[] {0, ROWS / 2, ROWS - 1}) {
              assertThat(s.read(keys.get(i)).count())
                  .as("row %d in a snapshot at checkpoint %d", i, written)
                  .isEqualTo(written);
            }
            if (written > 0 && written < BATCHES) {
              inBetween++;
            }
          }
          snapshots++;
        }
      } finally {
        stop.set(true); // never close the storage under a running write
        writer.exceptionally(e -> null).get(1, TimeUnit.MINUTES);
      }
      writer.get(1, TimeUnit.MINUTES);
      // the snapshots really did interleave with the writes
      assertThat(inBetween).isGreaterThan(0);
      try (CounterRows.Snapshot s = store.snapshot()) {
        assertThat(s.read(keys.get(ROWS - 1)).count()).isEqualTo(BATCHES);
      }
    }
  }
}
