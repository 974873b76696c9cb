package io.tally.rocksdb;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.recount.CounterRows;
import io.tally.core.retention.TimeRanges;
import io.tally.core.store.Checkpoint;
import io.tally.core.topk.SlotCorrection;
import io.tally.model.Granularity;
import io.tally.model.TallyException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;

/**
 * The counter rows and checkpoints at one RocksDB snapshot, for {@link
 * io.tally.core.recount.Recount}. The store takes it while no processor write is landing ({@link
 * RocksDbCounterStore#snapshot}), so each write's deltas and checkpoint are in it together or not
 * at all; RocksDB's unordered writes alone would not promise that.
 *
 * <p>{@link #replace} writes, per lane of each row ({@link CounterKeyDescriptor}: count, excess,
 * high), one merge of {@code target − lane in the snapshot} (mod 2^64), all in one synced
 * WriteBatch: the lanes become exactly those of a row that was written once with the target count
 * and sum, plus whatever the processors merged since the snapshot. Removing a row leaves its lanes
 * at 0, which reads as absent. The Top-K slots of the snapshot are read from the {@code topk}
 * column family at the snapshot (written in the processors' WriteBatch, with the checkpoint); a
 * partition's slot corrections go into the same WriteBatch as its rows ({@link
 * RocksDbTopK#correct}).
 *
 * <p>Not thread-safe: used by one recount; {@link #close} releases the snapshot.
 */
final class RocksDbRowSnapshot implements CounterRows.Snapshot {
  private static final byte[] LANES = {
    CounterKeyDescriptor.COUNT, CounterKeyDescriptor.EXCESS, CounterKeyDescriptor.HIGH
  };

  private final RocksDbStorage storage;
  private final Snapshot snapshot;
  private final ReadOptions reads;

  /** Writes a recount's row merges and slot corrections of one partition in one synced batch. */
  @FunctionalInterface
  interface Writer {
    void write(int partition, WriteBatch merges, List<SlotCorrection> slots)
        throws RocksDBException;
  }

  private final RocksDbTopK topK;
  private final Writer writer;

  RocksDbRowSnapshot(RocksDbStorage storage, RocksDbTopK topK, Writer writer) {
    this.storage = storage;
    this.topK = topK;
    this.writer = writer;
    this.snapshot = storage.db().getSnapshot();
    this.reads = new ReadOptions().setSnapshot(snapshot);
  }

  @Override
  public Optional<Checkpoint> checkpoint(int partition) {
    try {
      byte[] v = storage.db().get(storage.meta(), reads, CheckpointDescriptor.key(partition));
      return v == null ? Optional.empty() : Optional.of(CheckpointDescriptor.decode(partition, v));
    } catch (RocksDBException e) {
      throw new TallyException("reading the checkpoint of partition " + partition + " failed", e);
    }
  }

  @Override
  public void forEachRow(
      Granularity g, long fromMillis, long toMillis, Consumer<CounterRows.Row> each) {
    if (fromMillis >= toMillis) {
      return;
    }
    long span = TimeRanges.spanMillis(g);
    long last = TimeRanges.rangeStart(g, toMillis - 1);
    for (long r = TimeRanges.rangeStart(g, fromMillis); r <= last; r += span) {
      scanRange(g, r, span, fromMillis, toMillis, each);
    }
  }

  private void scanRange(
      Granularity g,
      long rangeStart,
      long span,
      long fromMillis,
      long toMillis,
      Consumer<CounterRows.Row> each) {
    try (Slice lower = new Slice(CounterKeyDescriptor.rangeOf(g, rangeStart));
        Slice upper = new Slice(CounterKeyDescriptor.rangeOf(g, rangeStart + span));
        ReadOptions ro =
            new ReadOptions()
                .setSnapshot(snapshot)
                .setIterateLowerBound(lower)
                .setIterateUpperBound(upper);
        RocksIterator it = storage.db().newIterator(storage.counters(), ro)) {
      byte[] row = null;
      long[] lanes = new long[3];
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] key = it.key();
        if (row != null && !CounterKeyDescriptor.sameRow(row, key)) {
          emit(row, lanes, fromMillis, toMillis, each);
          Arrays.fill(lanes, 0);
        }
        row = key;
        int lane = lane(CounterKeyDescriptor.field(key));
        if (lane >= 0) {
          lanes[lane] = CounterKeyDescriptor.decodeValue(it.value());
        }
      }
      if (row != null) {
        emit(row, lanes, fromMillis, toMillis, each);
      }
    }
  }

  private static void emit(
      byte[] key, long[] lanes, long fromMillis, long toMillis, Consumer<CounterRows.Row> each) {
    long start = CounterKeyDescriptor.bucketStart(key);
    if (lanes[0] != 0 && start >= fromMillis && start < toMillis) {
      each.accept(
          new CounterRows.Row(
              CounterKeyDescriptor.counterKey(key),
              lanes[0],
              CounterKeyDescriptor.sum(lanes[0], lanes[1], lanes[2])));
    }
  }

  private static int lane(byte field) {
    for (int i = 0; i < LANES.length; i++) {
      if (LANES[i] == field) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public CounterRows.Row read(CounterKey key) {
    long[] lanes = lanes(key);
    return new CounterRows.Row(
        key, lanes[0], CounterKeyDescriptor.sum(lanes[0], lanes[1], lanes[2]));
  }

  private long[] lanes(CounterKey key) {
    long[] lanes = new long[3];
    try {
      for (int i = 0; i < LANES.length; i++) {
        lanes[i] =
            CounterKeyDescriptor.decodeValue(
                storage
                    .db()
                    .get(storage.counters(), reads, CounterKeyDescriptor.key(key, LANES[i])));
      }
    } catch (RocksDBException e) {
      throw new TallyException("reading counter " + key + " failed", e);
    }
    return lanes;
  }

  @Override
  public void replace(List<CounterRows.Row> rows) {
    replace(-1, rows, List.of());
  }

  @Override
  public CounterRows.Slots topKSlots(int partition) {
    return new CounterRows.Slots(topK.stored(partition, snapshot), Set.of());
  }

  @Override
  public void replace(int partition, List<CounterRows.Row> rows, List<SlotCorrection> slots) {
    List<byte[][]> merges = new ArrayList<>();
    for (CounterRows.Row row : rows) {
      long[] was = lanes(row.key());
      long[] target = {
        row.count(),
        row.count() == 0 ? 0 : CounterKeyDescriptor.excessPart(row.count(), row.sum()),
        CounterKeyDescriptor.highPart(row.sum())
      };
      for (int i = 0; i < LANES.length; i++) {
        if (target[i] != was[i]) {
          merges.add(
              new byte[][] {
                CounterKeyDescriptor.key(row.key(), LANES[i]),
                CounterKeyDescriptor.encodeValue(target[i] - was[i])
              });
        }
      }
    }
    merges.sort((a, b) -> Arrays.compareUnsigned(a[0], b[0]));
    try (WriteBatch wb = new WriteBatch()) {
      for (byte[][] m : merges) {
        wb.merge(storage.counters(), m[0], m[1]);
      }
      writer.write(partition, wb, slots);
    } catch (RocksDBException e) {
      throw new TallyException(
          "replacing "
              + rows.size()
              + " recounted rows and "
              + slots.size()
              + " top-K slots failed: "
              + storage.writeFailure(e),
          e);
    }
  }

  @Override
  public void close() {
    reads.close();
    storage.db().releaseSnapshot(snapshot);
  }
}
