package io.tally.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.aggregate.RowCorrection;
import io.tally.core.recount.CorrectionLog;
import io.tally.core.recount.CounterRows;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSource;
import io.tally.core.topk.SlotCorrection;
import io.tally.core.topk.SlotKey;
import io.tally.core.topk.SlotSketches;
import io.tally.core.topk.TopKConfig;
import io.tally.core.topk.TopKWindow;
import io.tally.engines.LocalEngines;
import io.tally.engines.RealEngines;
import io.tally.model.Granularity;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A recount's Top-K slots over a real Cassandra: the cut holds each slot as of the materialized
 * checkpoint and names a slot written after it as moved; a slot correction goes through the log of
 * deltas (here straight into the sink, as the materializer would apply it) and keeps a delta
 * applied after the cut; a replayed correction counts once.
 */
@ExtendWith(RealEngines.class)
class CassandraTopKRecountTest {
  private static final AtomicInteger RUN = new AtomicInteger();
  private static final long T = 1_769_860_800_000L; // 2026-01-31T12:00:00Z
  private static final TopKWindow HOUR = TopKWindow.parse("1h");
  private static final TopKConfig TOP_K = new TopKConfig(List.of(HOUR), 64);
  private static final SlotKey SLOT = new SlotKey("view", HOUR, HOUR.slotStart(T));
  private static final InstantSource CLOCK = InstantSource.fixed(Instant.ofEpochMilli(T + 60_000));

  private final LocalEngines engines;
  private CassandraCounterStore store;
  private CassandraTopKStore topK;
  private CassandraDeltaSink sink;
  private long next = 100;
  private long lastCorrection;

  CassandraTopKRecountTest(LocalEngines engines) {
    this.engines = engines;
  }

  @BeforeEach
  void open() {
    store =
        CassandraCounterStore.open(
            CassandraSettings.defaults(engines.cassandra().contactPoint())
                .withKeyspace(
                    "topk_" + RUN.incrementAndGet() + "_" + System.nanoTime() % 1_000_000));
    topK = new CassandraTopKStore(store, 1);
    sink =
        new CassandraDeltaSink(
            store,
            new CounterWriter(store, CLOCK, 64, 10_000),
            new TopKWriter(topK, TOP_K, CLOCK),
            CLOCK);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private static DeltaBatch views(long offset, String entity, long count, Checkpoint cp) {
    return new DeltaBatch(
        List.of(
            new CounterDelta(new CounterKey(entity, "view", Granularity.MINUTE, T), count, count)),
        cp == null ? List.of() : List.of(cp),
        new DeltaSource(0, offset));
  }

  /** The deltas topic, applied at once by the sink; a checkpoint record follows each append. */
  private final CorrectionLog log =
      new CorrectionLog() {
        @Override
        public long append(
            int partition, List<RowCorrection> corrections, List<SlotCorrection> slots) {
          long at = next;
          lastCorrection = at;
          sink.writeAll(
              List.of(
                  new DeltaBatch(List.of(), List.of(), new DeltaSource(0, at), corrections, slots),
                  new DeltaBatch(
                      List.of(),
                      List.of(new Checkpoint(0, 50, T, T)),
                      new DeltaSource(0, at + 1))));
          next += 2;
          return at;
        }

        @Override
        public long endOffset(int partition) {
          return 10;
        }
      };

  private CassandraCounterRows rows() {
    return new CassandraCounterRows(store, 1, log, topK, TOP_K, CLOCK);
  }

  private Map<String, Long> served() {
    Map<String, Long> out = new TreeMap<>();
    topK.sketches("view", HOUR, SLOT.slotStartMillis())
        .forEach(s -> SlotSketches.counts(s).forEach((e, n) -> out.merge(e, n, Long::sum)));
    return out;
  }

  @Test
  void aSlotCorrectionKeepsTheDeltasAppliedAfterTheCutAndCountsOnce() {
    sink.writeAll(List.of(views(10, "video:1", 10, new Checkpoint(0, 5, T, T))));
    try (CounterRows.Snapshot cut = rows().snapshot()) {
      CounterRows.Slots slots = cut.topKSlots(0);
      assertThat(slots.moved()).isEmpty();
      assertThat(SlotSketches.counts(slots.slots().get(SLOT))).isEqualTo(Map.of("video:1", 10L));

      sink.writeAll(List.of(views(11, "video:1", 1, null))); // a late event, after the cut
      cut.replace(
          0, List.of(), List.of(new SlotCorrection(SLOT, Map.of("video:1", -4L, "video:2", 3L))));
    }
    assertThat(served()).isEqualTo(Map.of("video:1", 7L, "video:2", 3L));

    // the materializer replays the correction (a restart before its offset was committed)
    sink.writeAll(
        List.of(
            new DeltaBatch(
                List.of(),
                List.of(),
                new DeltaSource(0, lastCorrection),
                List.of(),
                List.of(new SlotCorrection(SLOT, Map.of("video:1", -4L, "video:2", 3L))))));
    assertThat(served()).isEqualTo(Map.of("video:1", 7L, "video:2", 3L));
    try (CounterRows.Snapshot cut = rows().snapshot()) {
      assertThat(SlotSketches.counts(cut.topKSlots(0).slots().get(SLOT)))
          .isEqualTo(Map.of("video:1", 7L, "video:2", 3L));
    }
  }

  /**
   * A slot damaged in Cassandra while the materializer holds it in memory: the recount's correction
   * is computed against Cassandra, so the sink must apply it to what Cassandra holds (found by
   * ClusterTest: 1,000 − 5 = 995 from the cached slot).
   */
  @Test
  void aCorrectionOfASlotDamagedInCassandraAppliesToWhatCassandraHolds() {
    sink.writeAll(List.of(views(10, "video:1", 10, new Checkpoint(0, 5, T, T))));
    org.apache.datasketches.frequencies.ItemsSketch<String> damaged =
        new org.apache.datasketches.frequencies.ItemsSketch<>(64);
    damaged.update("video:1", 15);
    io.tally.core.topk.TopKSlots stored = new io.tally.core.topk.TopKSlots(0, TOP_K);
    topK.load(stored, TOP_K.windows(), CLOCK.millis());
    long written = stored.slot(SLOT).position(); // the position of offset 10
    topK.write(
            0,
            SLOT,
            new io.tally.core.topk.TopKSlots.Slot(
                SlotSketches.serialize(damaged), damaged, written + 1),
            CLOCK.millis())
        .toCompletableFuture()
        .join();
    sink.writeAll(
        List.of(
            new DeltaBatch(
                List.of(), List.of(new Checkpoint(0, 6, T, T)), new DeltaSource(0, 12))));
    try (CounterRows.Snapshot cut = rows().snapshot()) {
      assertThat(SlotSketches.counts(cut.topKSlots(0).slots().get(SLOT)))
          .isEqualTo(Map.of("video:1", 15L));
      cut.replace(0, List.of(), List.of(new SlotCorrection(SLOT, Map.of("video:1", -5L))));
    }
    assertThat(served()).isEqualTo(Map.of("video:1", 10L));
  }

  @Test
  void aSlotWrittenAfterTheCutIsMovedNotServed() {
    sink.writeAll(List.of(views(10, "video:1", 10, new Checkpoint(0, 5, T, T))));
    try (CounterRows.Snapshot cut = rows().snapshot()) {
      sink.writeAll(List.of(views(11, "video:1", 1, null)));
      CounterRows.Slots slots = cut.topKSlots(0);
      assertThat(slots.moved()).containsExactly(SLOT);
      assertThat(slots.slots()).isEmpty();
    }
  }
}
