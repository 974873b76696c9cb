package io.tally.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaAggregator;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.aggregate.RowCorrection;
import io.tally.core.recount.CorrectionLog;
import io.tally.core.recount.CounterRows;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import io.tally.core.store.DeltaSource;
import io.tally.core.topk.SlotCorrection;
import io.tally.engines.LocalEngines;
import io.tally.engines.RealEngines;
import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.model.TallyException;
import io.tally.testkit.DeltaSinkContract;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The {@link DeltaSink} contract on a real Cassandra (a separate JVM started by {@link
 * RealEngines}), each test in a fresh keyspace; and what makes this sink safe to feed from the
 * deltas topic without atomicity (DESIGN.md invariant 5): a replay of sourced batches, whole or
 * overlapping, and a zombie writer with a cold cache count every delta once.
 */
@ExtendWith(RealEngines.class)
class CassandraDeltaSinkTest extends DeltaSinkContract {
  private static final AtomicInteger RUN = new AtomicInteger();
  private static final CounterKey ROW = CounterKey.total("video:9", "view");
  private final LocalEngines engines;
  private CassandraCounterStore store;
  private CassandraDeltaSink sink;
  private CounterWriter writer;

  CassandraDeltaSinkTest(LocalEngines engines) {
    this.engines = engines;
  }

  @Override
  protected void open() {
    CassandraSettings s =
        CassandraSettings.defaults(engines.cassandra().contactPoint())
            .withKeyspace("sink_" + RUN.incrementAndGet() + "_" + (System.nanoTime() % 1_000_000));
    store = CassandraCounterStore.open(s);
    writer = newWriter();
    sink = newSink(writer);
  }

  private CounterWriter newWriter() {
    return new CounterWriter(store, clock(), 64, 10_000);
  }

  // retention is measured from the clock; the contract writes buckets in 2026, so no TTLs here
  private static InstantSource clock() {
    return InstantSource.fixed(Instant.ofEpochMilli(T - 200_000));
  }

  private CassandraDeltaSink newSink(CounterWriter w) {
    return new CassandraDeltaSink(store, w, null, clock());
  }

  /** A sink with a cold row cache, as a second (zombie) materializer would have. */
  private CassandraDeltaSink newSink() {
    return newSink(newWriter());
  }

  @Override
  protected DeltaSink sink() {
    return sink;
  }

  @Override
  protected long count(CounterKey key) {
    return store.read(key).count();
  }

  @Override
  protected void closeSink() {
    store.close();
  }

  private static DeltaBatch at(long offset, long count, Checkpoint cp) {
    return new DeltaBatch(
        List.of(new CounterDelta(ROW, count, count)),
        cp == null ? List.of() : List.of(cp),
        new DeltaSource(2, offset));
  }

  @Test
  void aRecreatedDeltasTopicStartsANewGenerationSoItsRestartedOffsetsCount() {
    UUID first = UUID.randomUUID();
    UUID recreated = UUID.randomUUID();
    sink.sourceIdentity(first);
    long generation = writer.generation();
    sink.writeAll(List.of(at(100, 1, null), at(101, 2, null)));
    sink.sourceIdentity(first); // the same topic again: nothing changes
    assertThat(writer.generation()).isEqualTo(generation);

    sink.sourceIdentity(recreated); // its offsets start over, below 100
    sink.writeAll(List.of(at(0, 4, null), at(1, 8, null)));

    assertThat(writer.generation()).isEqualTo(generation + 1);
    assertThat(count(ROW)).as("the new topic's deltas are newer, not ignored").isEqualTo(15);
    CounterWriter other = newWriter();
    newSink(other).sourceIdentity(recreated);
    assertThat(other.generation()).as("a second materializer agrees").isEqualTo(generation + 1);
    newSink(other).writeAll(List.of(at(0, 4, null), at(1, 8, null))); // a replay of the new topic
    assertThat(count(ROW)).isEqualTo(15);
  }

  private static final CounterKey MINUTE = new CounterKey("video:9", "view", Granularity.MINUTE, T);

  private static DeltaBatch minuteAt(long offset, long count, Checkpoint cp) {
    return new DeltaBatch(
        List.of(new CounterDelta(MINUTE, count, count)),
        cp == null ? List.of() : List.of(cp),
        new DeltaSource(0, offset));
  }

  private static List<CounterRows.Row> minuteRows(CounterRows.Snapshot cut) {
    List<CounterRows.Row> rows = new ArrayList<>();
    cut.forEachRow(Granularity.MINUTE, T, T + 60_000, rows::add);
    return rows;
  }

  @Test
  void aRecountCutHoldsTheRowsAsOfTheCheckpointAndRefusesARowWrittenAfterIt() {
    sink.writeAll(List.of(minuteAt(10, 2, new Checkpoint(0, 5, T, T))));
    try (CounterRows.Snapshot cut = new CassandraCounterRows(store, 1, null, clock()).snapshot()) {
      assertThat(cut.checkpoint(0)).contains(new Checkpoint(0, 5, T, T));
      assertThat(minuteRows(cut)).containsExactly(new CounterRows.Row(MINUTE, 2, 2));
      sink.writeAll(List.of(minuteAt(11, 1, null))); // a late event, applied after the cut
      assertThatThrownBy(() -> minuteRows(cut))
          .isInstanceOf(TallyException.class)
          .hasMessageContaining("moved while they were read");
    }
  }

  @Test
  void aRecountsCorrectionThroughTheSinkKeepsWhatWasAppliedAfterTheCut() {
    sink.writeAll(List.of(minuteAt(10, 2, new Checkpoint(0, 5, T, T))));
    long[] next = {12};
    CorrectionLog log = new CorrectionLog() { // the deltas topic, applied at once by this sink
          @Override
          public long append(
              int partition, List<RowCorrection> corrections, List<SlotCorrection> slots) {
            long at = next[0];
            sink.writeAll(
                List.of(
                    new DeltaBatch(
                        List.of(), List.of(), new DeltaSource(0, at), corrections, slots),
                    new DeltaBatch(
                        List.of(),
                        List.of(new Checkpoint(0, 6, T, T)),
                        new DeltaSource(0, at + 1))));
            next[0] += 2;
            return at;
          }

          @Override
          public long endOffset(int partition) {
            return 10; // everything up to the last checkpoint is applied
          }
        };
    try (CounterRows.Snapshot cut = new CassandraCounterRows(store, 1, log, clock()).snapshot()) {
      assertThat(minuteRows(cut)).containsExactly(new CounterRows.Row(MINUTE, 2, 2));
      sink.writeAll(List.of(minuteAt(11, 1, null))); // counted after the cut: must stay
      cut.replace(List.of(new CounterRows.Row(MINUTE, 5, 5)));
    }
    assertThat(count(MINUTE)).isEqualTo(6);
    assertThat(store.read(MINUTE).sum()).isEqualTo(6);
    try (CounterRows.Snapshot cut = new CassandraCounterRows(store, 1, null, clock()).snapshot()) {
      cut.forEachRow(Granularity.MINUTE, T, T + 60_000, r -> {});
      assertThatThrownBy(() -> cut.replace(List.of(new CounterRows.Row(MINUTE, 1, 1))))
          .isInstanceOf(UnsupportedOperationException.class);
    }
  }

  @Test
  void replayingTheSameBatchesAgainChangesNothing() {
    List<DeltaBatch> step = List.of(at(0, 1, null), at(1, 2, null), at(2, 4, null));
    sink.writeAll(step);
    sink.writeAll(step);
    sink.write(step.get(1));
    assertThat(count(ROW)).isEqualTo(7);
  }

  @Test
  void aReplayWithOtherStepBoundariesAppliesOnlyTheDeltasNotYetApplied() {
    sink.writeAll(List.of(at(0, 1, null), at(1, 2, null)));
    // a consumer that rewound to offset 0 polls 0..3 in one step
    sink.writeAll(List.of(at(0, 1, null), at(1, 2, null), at(2, 4, null), at(3, 8, null)));
    assertThat(count(ROW)).isEqualTo(15);
  }

  @Test
  void aZombieWriterWithAColdCacheCannotMoveARowBackOrCountTwice() {
    sink.writeAll(List.of(at(0, 1, null), at(1, 2, null), at(2, 4, null)));
    CassandraDeltaSink zombie = newSink();
    zombie.writeAll(List.of(at(0, 1, null), at(1, 2, null)));
    assertThat(count(ROW)).isEqualTo(7);
    zombie.write(at(3, 8, null));
    sink.ownershipChanged(List.of(2)); // the partition came back: the live sink's cache is stale
    sink.writeAll(List.of(at(3, 8, null), at(4, 16, null)));
    assertThat(count(ROW)).isEqualTo(31);
  }

  @Test
  void aCheckpointIsNotMovedBackByAReplay() {
    Checkpoint older = new Checkpoint(2, 5, T, T);
    Checkpoint newer = new Checkpoint(2, 9, T + 1, T + 1);
    sink.writeAll(List.of(at(0, 1, older), at(1, 1, newer)));
    newSink().write(at(0, 1, older));
    assertThat(sink.checkpoint(2)).contains(newer);
  }

  @Test
  void aBatchWithoutItsSourceIsRefusedWithTheReason() {
    DeltaBatch flush = new DeltaBatch(List.of(new CounterDelta(ROW, 1, 1)), List.of());
    assertThatThrownBy(() -> sink.write(flush))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("source");
    assertThat(count(ROW)).isZero();
  }

  private static final long MINUTE_0 = T - T % 60_000;

  private static DeltaBatch minute(long offset, int minute, long count) {
    CounterKey key =
        new CounterKey("video:9", "view", Granularity.MINUTE, MINUTE_0 + minute * 60_000L);
    return new DeltaBatch(
        List.of(new CounterDelta(key, count, count)), List.of(), new DeltaSource(2, offset));
  }

  private long minuteCount(int minute) {
    return count(
        new CounterKey("video:9", "view", Granularity.MINUTE, MINUTE_0 + minute * 60_000L));
  }

  @Test
  void aNewMinuteOfAKnownPartitionIsWrittenWithoutAReadAndCountsExactly() {
    sink.write(minute(0, 0, 1));
    long reads = writer.stats().read();
    sink.write(minute(1, 1, 2));
    sink.write(minute(2, 2, 4));
    assertThat(writer.stats().read()).isEqualTo(reads);
    assertThat(writer.stats().knownAbsent()).isEqualTo(2);
    assertThat(List.of(minuteCount(0), minuteCount(1), minuteCount(2))).containsExactly(1L, 2L, 4L);
  }

  /** The deltas of one event on each of {@code entities} entities in {@code minute}, all rows. */
  private static DeltaBatch everyEntity(long offset, int minute, int entities) {
    DeltaAggregator aggregator = new DeltaAggregator();
    for (int i = 0; i < entities; i++) {
      aggregator.add(
          new Event(null, "video:" + i, "view", MINUTE_0 + minute * 60_000L + i % 60_000, 1));
    }
    return new DeltaBatch(aggregator.drain(), List.of(), new DeltaSource(2, offset));
  }

  @Test
  void theNewMinuteRowsOfManySeriesWithAllTheirRowsAreWrittenWithoutReads() {
    int entities = 300;
    sink.write(everyEntity(0, 0, entities));
    CounterWriter.Stats first = writer.stats();
    sink.write(everyEntity(1, 1, entities));
    CounterWriter.Stats second = writer.stats();
    // the hour, day and total rows come from the cache, every new minute row is known new
    assertThat(second.knownAbsent() - first.knownAbsent()).isEqualTo(entities);
    assertThat(second.read()).isEqualTo(first.read());
    assertThat(count(new CounterKey("video:7", "view", Granularity.MINUTE, MINUTE_0 + 60_000L)))
        .isEqualTo(1);
    assertThat(count(CounterKey.total("video:7", "view"))).isEqualTo(2);
  }

  @Test
  void aLateDeltaBelowTheNewestRowOfItsPartitionIsAddedToWhatTheRowHas() {
    sink.writeAll(List.of(minute(0, 0, 1), minute(1, 1, 2)));
    CassandraDeltaSink cold = newSink();
    cold.write(minute(2, 0, 4)); // the newest row is minute 1: minute 0 is read, not assumed new
    assertThat(minuteCount(0)).isEqualTo(5);
    cold.write(minute(3, 1, 8));
    assertThat(minuteCount(1)).isEqualTo(10);
  }

  @Test
  void aRowAnotherWriterCreatedPastTheFrontierIsReadOnceOwnershipChanged() {
    sink.write(minute(0, 0, 1)); // the frontier of the day's partition is now past minute 0
    newSink().write(minute(1, 1, 2)); // the partition's next owner creates minute 1
    sink.ownershipChanged(List.of(2)); // and the partition comes back
    sink.write(minute(2, 1, 4));
    assertThat(minuteCount(1)).isEqualTo(6);
  }

  /**
   * A cold writer reads the rows of a step together, {@value KnownRows#MAX_KEYS_PER_READ} per
   * request: existing rows, rows never written, and a minute row whose partition has a newer one
   * each come back with what they hold.
   */
  @Test
  void aColdWriterReadsAStepsRowsInGroupedRequestsAndAddsToWhatEachHolds() {
    int entities = 250;
    List<CounterDelta> first = new ArrayList<>();
    for (int e = 0; e < entities; e += 2) { // every other entity exists, with e events
      first.add(new CounterDelta(CounterKey.total("video:" + e, "view"), e + 1, e + 1));
      first.add(new CounterDelta(minuteKey(e, 1), e + 1, e + 1)); // a newer minute than below
    }
    sink.write(new DeltaBatch(first, List.of(), new DeltaSource(2, 0)));
    CounterWriter coldWriter = newWriter();
    List<CounterDelta> second = new ArrayList<>();
    for (int e = 0; e < entities; e++) {
      second.add(new CounterDelta(CounterKey.total("video:" + e, "view"), 1, 1));
      second.add(new CounterDelta(minuteKey(e, 0), 1, 1)); // late: below the newest minute
    }
    newSink(coldWriter).write(new DeltaBatch(second, List.of(), new DeltaSource(2, 1)));

    CounterWriter.Stats s = coldWriter.stats();
    assertThat(s.read()).isEqualTo(2L * entities);
    assertThat(s.readRequests()).isEqualTo(2L * 3); // 250 rows of a bucket: 3 requests
    for (int e = 0; e < entities; e++) {
      long before = e % 2 == 0 ? e + 1 : 0;
      assertThat(count(CounterKey.total("video:" + e, "view"))).isEqualTo(before + 1);
      assertThat(count(minuteKey(e, 0))).isEqualTo(1);
      assertThat(count(minuteKey(e, 1))).isEqualTo(before);
    }
  }

  private static CounterKey minuteKey(int entity, int minute) {
    return new CounterKey(
        "video:" + entity, "view", Granularity.MINUTE, MINUTE_0 + minute * 60_000L);
  }
}
