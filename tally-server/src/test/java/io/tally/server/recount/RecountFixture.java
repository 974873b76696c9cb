package io.tally.server.recount;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaAggregator;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.dedup.DedupWindow;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.enrich.Enrichment;
import io.tally.core.log.EventBatch;
import io.tally.core.log.LogRecord;
import io.tally.core.partition.Partitioner;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.raw.RawConfig;
import io.tally.core.raw.RawExport;
import io.tally.core.recount.CounterRows;
import io.tally.core.recount.Recount;
import io.tally.core.retention.Retention;
import io.tally.core.store.Checkpoint;
import io.tally.core.topk.SlotSketches;
import io.tally.core.topk.TopKConfig;
import io.tally.core.topk.TopKWindow;
import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.raw.DuckDbRawReader;
import io.tally.raw.DuckDbRawStore;
import io.tally.rocksdb.RocksDbCounterStore;
import io.tally.rocksdb.RocksDbStorage;
import io.tally.testkit.InMemoryAttributeStore;
import io.tally.testkit.InMemoryEventLog;
import io.tally.testkit.ManualClock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A raw store (DuckDB) and counter store (RocksDB) fed from an in-memory log by the processor's own
 * per-event step ({@link Enrichment#count}: dedup window, aggregator, derived shards) and flush
 * (deltas and checkpoint in one write), driven by a manual clock, with the export and a {@link
 * Recount} over them. Not thread-safe; close it.
 */
final class RecountFixture implements AutoCloseable {
  static final int PARTITIONS = 2;

  final ManualClock clock;
  final InMemoryEventLog log;
  final RocksDbStorage storage;
  final RocksDbCounterStore counters;
  final DuckDbRawStore raw;
  final InMemoryAttributeStore attributes = new InMemoryAttributeStore();
  final Enrichment enrichment;
  final RawExport export;
  final Recount recount;
  private final Partitioner partitioner = new Partitioner(PARTITIONS);
  private final DedupWindow[] windows = new DedupWindow[PARTITIONS];
  private final long[] next = new long[PARTITIONS];
  private final long[] lastAppend = {Long.MIN_VALUE, Long.MIN_VALUE};

  RecountFixture(Path dir, long startMillis, List<String> derive) {
    clock = new ManualClock(startMillis);
    log = new InMemoryEventLog(PARTITIONS, clock);
    storage = RocksDbStorage.open(dir.resolve("data"), PARTITIONS);
    counters = new RocksDbCounterStore(storage, TopKConfig.DEFAULTS, clock);
    raw = DuckDbRawStore.open(dir.resolve("raw"));
    enrichment = new Enrichment(DerivedEntities.of(derive), attributes);
    export =
        new RawExport(
            log,
            counters,
            raw,
            attributes,
            ProcessorConfig.DEFAULTS,
            RawConfig.MAX_EVENTS_PER_WRITE);
    recount =
        new Recount(
            new DuckDbRawReader(raw),
            counters,
            log,
            enrichment,
            ProcessorConfig.DEFAULTS,
            new Recount.Limits(Retention.DEFAULTS, RawConfig.DEFAULTS.retentionMillis(), 300_000),
            clock);
    for (int p = 0; p < PARTITIONS; p++) {
      windows[p] =
          new DedupWindow(
              ProcessorConfig.DEFAULTS.dedupWindowMillis(),
              ProcessorConfig.DEFAULTS.dedupCapacity());
    }
  }

  /** Appends {@code e} to its entity's partition at the clock's time. */
  void append(Event e) {
    log.append(EventBatch.builder(PARTITIONS).add(partitioner.partition(e.entity()), e).build())
        .join();
  }

  /** Counts what is logged and writes it with the checkpoints, as a processor's flush does. */
  void count() {
    DeltaAggregator aggregator = new DeltaAggregator();
    List<Checkpoint> checkpoints = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      List<LogRecord> records = log.read(p, next[p], 1_000_000);
      for (LogRecord r : records) {
        enrichment.count(aggregator, windows[p], p, r.event(), r.appendTimeMillis());
        next[p] = r.offset() + 1;
        lastAppend[p] = r.appendTimeMillis();
      }
      checkpoints.add(new Checkpoint(p, next[p], lastAppend[p], clock.millis()));
    }
    counters.write(new DeltaBatch(aggregator.drain(), checkpoints));
  }

  /** Every served row (minute, hour, day, and their totals) of the two days from {@code from}. */
  Map<String, String> rows(long fromMillis) {
    Map<String, String> out = new TreeMap<>();
    try (CounterRows.Snapshot s = counters.snapshot()) {
      for (Granularity g : Granularity.TIMED) {
        s.forEachRow(
            g,
            g.bucketStart(fromMillis),
            g.bucketStart(fromMillis) + 2 * 86_400_000L,
            r -> {
              out.put(r.key().toString(), r.count() + "/" + r.sum());
              CounterRows.Row total = s.read(CounterKey.total(r.key().entity(), r.key().type()));
              out.put(total.key().toString(), total.count() + "/" + total.sum());
            });
      }
    }
    return out;
  }

  /** Every partition's Top-K slots as served now: "p<partition> <slot>" → entity → count. */
  Map<String, Map<String, Long>> slots() {
    Map<String, Map<String, Long>> out = new TreeMap<>();
    try (CounterRows.Snapshot s = counters.snapshot()) {
      for (int p = 0; p < PARTITIONS; p++) {
        int partition = p;
        s.topKSlots(p)
            .slots()
            .forEach(
                (k, sketch) -> out.put("p" + partition + " " + k, SlotSketches.counts(sketch)));
      }
    }
    return out;
  }

  /**
   * The counts of {@code type} over every slot of {@code window} that queries read now, merged over
   * the partitions (each slot is exact here).
   */
  Map<String, Long> topK(String type, String window) {
    TopKWindow w = TopKWindow.parse(window);
    Map<String, Long> out = new TreeMap<>();
    counters
        .sketches(type, w, w.firstSlotStart(clock.millis()))
        .forEach(
            sketch -> SlotSketches.counts(sketch).forEach((e, n) -> out.merge(e, n, Long::sum)));
    return out;
  }

  @Override
  public void close() {
    raw.close();
    counters.close();
    storage.close();
  }
}
