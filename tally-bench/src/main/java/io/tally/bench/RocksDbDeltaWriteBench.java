// Measures: RocksDbCounterStore.write(DeltaBatch) of 1,000 counter deltas (the minute, hour, day
// and total rows of 250 Zipf-drawn series, as DeltaAggregator drains them) plus one checkpoint,
// into a fresh data dir: encode keys, sort, one WriteBatch of merges, one write (WAL, no fsync).
// Why: writing counters is the embedded mode's dominant processing cost (docs/benchmarks.md:
// memtable inserts of merges, ~0.5 µs of JNI per merge); every flush of every processor ends here.
package io.tally.bench;

import io.tally.core.aggregate.DeltaAggregator;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.store.Checkpoint;
import io.tally.rocksdb.RocksDbCounterStore;
import io.tally.rocksdb.RocksDbStorage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One operation writes one batch of {@link #deltas} deltas; deltas/s = ops/s × {@link #deltas}. The
 * writes cycle through {@value #BATCHES} pre-built batches, each in its own minute, so the memtable
 * sees new minute rows and repeated hour, day and total rows, as in steady state.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
public class RocksDbDeltaWriteBench {
  private static final int BATCHES = 256;
  private static final int PARTITIONS = 8;

  /** Rows per batch; a multiple of 4 (each series has a minute, hour, day and total row). */
  @Param("1000")
  public int deltas;

  private final DeltaBatch[] batches = new DeltaBatch[BATCHES];
  private Path dir;
  private RocksDbStorage storage;
  private RocksDbCounterStore store;
  private int next;

  @Setup(Level.Trial)
  public void open() throws IOException {
    Workload w = new Workload(6);
    DeltaAggregator aggregator = new DeltaAggregator();
    for (int b = 0; b < BATCHES; b++) {
      long minute = Workload.START_MILLIS + TimeUnit.MINUTES.toMillis(b);
      long t = minute;
      while (aggregator.rowCount() < deltas) {
        aggregator.add(w.event(t));
        t = Math.min(t + 1, minute + 59_999);
      }
      Checkpoint cp = new Checkpoint(b % PARTITIONS, (b + 1) * 10_000L, t, t);
      batches[b] = new DeltaBatch(aggregator.drain(), List.of(cp));
    }
    dir = Files.createTempDirectory("tally-bench-rocksdb");
    storage = RocksDbStorage.open(dir, PARTITIONS);
    store = new RocksDbCounterStore(storage);
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    store.close();
    storage.close();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Benchmark
  public void write() {
    store.write(batches[next++ & (BATCHES - 1)]);
  }
}
