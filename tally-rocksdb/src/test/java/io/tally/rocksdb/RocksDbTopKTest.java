package io.tally.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.store.Checkpoint;
import io.tally.core.topk.TopKConfig;
import io.tally.core.topk.TopKService;
import io.tally.core.topk.TopKWindow;
import io.tally.core.validate.EventValidator;
import io.tally.core.validate.ValidationLimits;
import io.tally.model.Granularity;
import io.tally.model.TopK;
import io.tally.model.TopKItem;
import io.tally.testkit.ManualClock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksIterator;

/**
 * Top-K through the real embedded sink: slot sketches written in the counters' WriteBatch, loaded
 * again at open, and dropped from disk once past their window.
 */
class RocksDbTopKTest {
  private static final int P = 4;
  private static final long MINUTE = 60_000;
  private static final long T0 = 1_769_860_800_000L; // 2026-01-31T12:00:00Z

  @TempDir Path dir;
  private final ManualClock clock = new ManualClock(T0);
  private final long[] offsets = new long[P];
  private RocksDbStorage storage;
  private RocksDbCounterStore store;
  private TopKService service;

  @BeforeEach
  void open() {
    open(TopKConfig.DEFAULTS);
  }

  private void open(TopKConfig config) {
    storage = RocksDbStorage.open(dir.resolve("data"), P);
    store = new RocksDbCounterStore(storage, config, clock);
    service =
        new TopKService(
            store, store, config, new EventValidator(ValidationLimits.DEFAULTS), clock, P);
  }

  @AfterEach
  void close() {
    store.close();
    storage.close();
  }

  private void reopen(TopKConfig config) {
    close();
    open(config);
  }

  /** Writes the deltas the way a processor would: with every partition's new checkpoint. */
  private void write(List<CounterDelta> deltas) {
    List<Checkpoint> cps = new ArrayList<>();
    for (int p = 0; p < P; p++) {
      offsets[p] += 10;
      cps.add(new Checkpoint(p, offsets[p], clock.millis(), clock.millis()));
    }
    store.write(new DeltaBatch(deltas, cps));
  }

  private static List<CounterDelta> rows(String entity, long timeMillis, long count) {
    return List.of(
        new CounterDelta(
            new CounterKey(
                entity, "view", Granularity.MINUTE, Granularity.MINUTE.bucketStart(timeMillis)),
            count,
            count),
        new CounterDelta(
            new CounterKey(
                entity, "view", Granularity.HOUR, Granularity.HOUR.bucketStart(timeMillis)),
            count,
            count),
        new CounterDelta(CounterKey.total(entity, "view"), count, count));
  }

  /**
   * A derived entity's shard row ({@code channel:c<n>~<p>}) is written by partition p's processor
   * thread, so it must rank in partition p's slots: the slots of the partition its name hashes to
   * belong to another thread, which stages them at the same time (a lost update).
   */
  @Test
  void aDerivedShardRanksInTheSlotsOfItsWritingPartition() {
    io.tally.core.partition.Partitioner partitioner = new io.tally.core.partition.Partitioner(P);
    int c = 0;
    while (partitioner.partition("channel:c" + c + "~1") == 1) {
      c++;
    }
    String channel = "channel:c" + c;
    write(rows(channel + "~1", T0 - MINUTE, 3));

    try (io.tally.core.recount.CounterRows.Snapshot s = store.snapshot()) {
      for (int p = 0; p < P; p++) {
        long counted =
            s.topKSlots(p).slots().values().stream()
                .mapToLong(
                    sketch ->
                        io.tally.core.topk.SlotSketches.counts(sketch).getOrDefault(channel, 0L))
                .sum();
        assertThat(counted).as("partition %d", p).isEqualTo(p == 1 ? 3L * 3 : 0); // 3 windows
      }
    }
  }

  @Test
  void topKMatchesBruteForceAndSurvivesAReopen() {
    Random random = new Random(42);
    Map<String, Long> lastHour = new HashMap<>();
    for (int batch = 0; batch < 20; batch++) {
      List<CounterDelta> deltas = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        String entity =
            "video:" + (int) Math.floor(Math.pow(random.nextDouble(), 3) * 200); // skewed
        long time = T0 - (long) (random.nextDouble() * 90 * MINUTE);
        long count = 1 + random.nextInt(5);
        deltas.addAll(rows(entity, time, count));
        if (time >= T0 - 60 * MINUTE) {
          lastHour.merge(entity, count, Long::sum);
        }
      }
      write(deltas);
    }
    List<TopKItem> expected =
        lastHour.entrySet().stream()
            .sorted(
                Map.Entry.<String, Long>comparingByValue()
                    .reversed()
                    .thenComparing(Map.Entry.comparingByKey()))
            .limit(10)
            .map(e -> new TopKItem(e.getKey(), e.getValue(), e.getValue(), e.getValue()))
            .toList();

    TopK top = service.top("view", "1h", "10");
    assertThat(top.exact()).isTrue();
    assertThat(top.items()).containsExactlyElementsOf(expected);

    reopen(TopKConfig.DEFAULTS);
    assertThat(service.top("view", "1h", "10").items()).containsExactlyElementsOf(expected);
  }

  @Test
  void slotsPastTheirWindowAreDeletedFromDisk() {
    write(rows("video:1", T0 - 3 * MINUTE, 5));
    assertThat(topKEntries()).isEqualTo(3); // one slot in each of 5m, 1h, 24h

    clock.advance(3 * MINUTE); // the 5m window's slot of 11:57 ends before 11:58
    write(List.of());
    assertThat(topKEntries()).isEqualTo(2);
    assertThat(service.top("view", "5m", null).items()).isEmpty();
    assertThat(service.top("view", "1h", null).items())
        .containsExactly(new TopKItem("video:1", 5, 5, 5));

    clock.advance(25 * 60 * MINUTE);
    reopen(TopKConfig.DEFAULTS); // past every window: dropped at open
    assertThat(topKEntries()).isZero();
    assertThat(service.top("view", "24h", null).items()).isEmpty();
  }

  @Test
  void aStoreWithTopKSwitchedOffLeavesTheStoredSlotsAlone() {
    write(rows("video:1", T0 - MINUTE, 2));
    reopen(TopKConfig.DISABLED);
    write(rows("video:1", T0 - MINUTE, 3)); // counted, but not in top-K
    reopen(TopKConfig.DEFAULTS);
    assertThat(service.top("view", "1h", null).items())
        .containsExactly(new TopKItem("video:1", 2, 2, 2));
  }

  @Test
  void onlyTheMinuteDeltasOfEachPartitionFeedItsSlots() {
    write(
        List.of(
            new CounterDelta(
                new CounterKey(
                    "video:1", "view", Granularity.HOUR, Granularity.HOUR.bucketStart(T0)),
                9,
                9),
            new CounterDelta(
                new CounterKey("video:2", "like", Granularity.MINUTE, T0 - MINUTE), 4, 4)));
    assertThat(service.top("view", "1h", null).items()).isEmpty();
    assertThat(service.top("like", "1h", null).items())
        .containsExactly(new TopKItem("video:2", 4, 4, 4));
    assertThat(store.sketches("like", TopKWindow.parse("1h"), 0))
        .hasSize(1); // one partition's one slot
  }

  private int topKEntries() {
    int n = 0;
    try (RocksIterator it = storage.db().newIterator(storage.topK())) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        n++;
      }
    }
    return n;
  }
}
