package io.tally.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import io.tally.core.store.DeltaSource;
import io.tally.core.topk.TopKConfig;
import io.tally.core.topk.TopKWindow;
import io.tally.engines.PostgresServer;
import io.tally.engines.RealPostgres;
import io.tally.model.Granularity;
import io.tally.model.TallyException;
import io.tally.testkit.DeltaSinkContract;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.datasketches.frequencies.ItemsSketch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The {@link DeltaSink} contract on a real PostgreSQL ({@link RealPostgres}), each test in a fresh
 * schema; and what makes this sink safe to feed from the deltas topic (DESIGN.md invariant 5): a
 * replay of sourced batches, whole or with other step boundaries, a zombie writer running at the
 * same time, and a lost partition position all count every delta once; a failed transaction applies
 * nothing.
 */
@ExtendWith(RealPostgres.class)
class PostgresDeltaSinkTest extends DeltaSinkContract {
  private static final CounterKey ROW = CounterKey.total("video:9", "view");
  private final PostgresServer server;
  private PostgresSettings settings;
  private PostgresCounterStore store;
  private PostgresDeltaSink sink;

  PostgresDeltaSinkTest(PostgresServer server) {
    this.server = server;
  }

  @Override
  protected void open() {
    settings = TestSchemas.fresh(server, "sink");
    store = PostgresCounterStore.open(settings);
    sink = newSink(store);
  }

  // retention is measured from the clock; the contract writes buckets in 2026
  private static PostgresDeltaSink newSink(PostgresCounterStore on) {
    return new PostgresDeltaSink(on, TopKConfig.DEFAULTS, clock());
  }

  private static InstantSource clock() {
    return InstantSource.fixed(Instant.ofEpochMilli(T + 60_000));
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
  void aCheckpointIsNotMovedBackByAReplay() {
    Checkpoint older = new Checkpoint(2, 5, T, T);
    Checkpoint newer = new Checkpoint(2, 9, T + 1, T + 1);
    sink.writeAll(List.of(at(0, 1, older), at(1, 1, newer)));
    newSink(store).write(at(0, 1, older));
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

  @Test
  void aZombieWritingTheSameBatchesAtTheSameTimeCountsNothingTwice() throws Exception {
    List<DeltaBatch> log = new ArrayList<>();
    long expected = 0;
    for (int offset = 0; offset < 200; offset++) {
      log.add(at(offset, offset + 1, new Checkpoint(2, offset + 1, T + offset, T + offset)));
      expected += offset + 1;
    }
    PostgresCounterStore zombieStore = PostgresCounterStore.open(settings);
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      PostgresDeltaSink zombie = newSink(zombieStore);
      Future<?> a = threads.submit(() -> writeInSteps(sink, log, 7));
      Future<?> b = threads.submit(() -> writeInSteps(zombie, log, 3));
      a.get(2, TimeUnit.MINUTES);
      b.get(2, TimeUnit.MINUTES);
    } finally {
      threads.shutdownNow();
      zombieStore.close();
    }
    assertThat(count(ROW)).isEqualTo(expected);
    assertThat(sink.checkpoint(2)).contains(new Checkpoint(2, 200, T + 199, T + 199));
  }

  private static void writeInSteps(DeltaSink to, List<DeltaBatch> log, int step) {
    for (int from = 0; from < log.size(); from += step) {
      to.writeAll(log.subList(from, Math.min(log.size(), from + step)));
    }
  }

  @Test
  void theRowsOwnPositionsStopAReplayEvenIfThePartitionsPositionWasLost() throws Exception {
    Checkpoint cp = new Checkpoint(2, 3, T, T);
    sink.writeAll(List.of(at(0, 1, null), at(1, 2, null), at(2, 4, cp)));
    try (Connection c = store.connection();
        Statement s = c.createStatement()) {
      s.executeUpdate("DELETE FROM delta_positions");
    }
    sink.writeAll(List.of(at(1, 2, null), at(2, 4, new Checkpoint(2, 2, T - 1, T - 1))));
    assertThat(count(ROW)).isEqualTo(7);
    assertThat(sink.checkpoint(2)).contains(cp);
    sink.write(at(3, 8, null));
    assertThat(count(ROW)).isEqualTo(15);
  }

  @Test
  void aFailedTransactionAppliesNothingOfItsBatches() {
    CounterKey full = CounterKey.total("video:full", "view");
    sink.write(
        new DeltaBatch(
            List.of(new CounterDelta(full, Long.MAX_VALUE - 1, 0)),
            List.of(new Checkpoint(2, 1, T, T)),
            new DeltaSource(2, 0)));
    DeltaBatch breaks =
        new DeltaBatch(
            List.of(new CounterDelta(ROW, 5, 5), new CounterDelta(full, 5, 5)),
            List.of(new Checkpoint(2, 2, T + 1, T + 1)),
            new DeltaSource(2, 1));
    assertThatThrownBy(() -> sink.write(breaks))
        .isInstanceOf(TallyException.class)
        .hasMessageContaining("bigint out of range");
    assertThat(count(ROW)).isZero();
    assertThat(sink.checkpoint(2)).contains(new Checkpoint(2, 1, T, T));
    sink.write(at(1, 3, null)); // offset 1 was not recorded as applied either
    assertThat(count(ROW)).isEqualTo(3);
  }

  @Test
  void aRecreatedDeltasTopicStartsANewGenerationSoItsRestartedOffsetsCount() {
    UUID first = UUID.randomUUID();
    UUID recreated = UUID.randomUUID();
    sink.sourceIdentity(first);
    long generation = sink.generation();
    sink.writeAll(List.of(at(100, 1, null), at(101, 2, null)));
    sink.sourceIdentity(first); // the same topic again: nothing changes
    assertThat(sink.generation()).isEqualTo(generation);

    sink.sourceIdentity(recreated); // its offsets start over, below 100
    sink.writeAll(List.of(at(0, 4, null), at(1, 8, null)));

    assertThat(sink.generation()).isEqualTo(generation + 1);
    assertThat(count(ROW)).as("the new topic's deltas are newer, not ignored").isEqualTo(15);
    PostgresDeltaSink other = newSink(store);
    other.sourceIdentity(recreated);
    assertThat(other.generation()).as("a second materializer agrees").isEqualTo(generation + 1);
    other.writeAll(List.of(at(0, 4, null), at(1, 8, null))); // a replay of the new topic
    assertThat(count(ROW)).isEqualTo(15);
  }

  @Test
  void openingAMigratedSchemaAgainKeepsItsRowsAndVersion() {
    sink.write(at(0, 3, null));
    try (PostgresCounterStore again = PostgresCounterStore.open(settings)) {
      assertThat(again.read(ROW).count()).isEqualTo(3);
      assertThat(CounterSchema.migrate(again.dataSource(), settings.schema())).isEqualTo("2");
    }
  }

  private static final long MINUTE_0 = T - T % 60_000;

  private static DeltaBatch views(long offset, String entity, long count) {
    CounterKey key = new CounterKey(entity, "view", Granularity.MINUTE, MINUTE_0);
    return new DeltaBatch(
        List.of(new CounterDelta(key, count, count)), List.of(), new DeltaSource(2, offset));
  }

  private long topKEstimate(String entity) {
    TopKWindow hour = TopKWindow.parse("1h");
    long sum = 0;
    for (ItemsSketch<String> s :
        new PostgresTopKStore(store).sketches("view", hour, hour.firstSlotStart(T + 60_000))) {
      sum += s.getEstimate(entity);
    }
    return sum;
  }

  @Test
  void minuteDeltasFeedTheTopKSlotsOnceThroughReplaysAndAnotherWriter() {
    sink.writeAll(List.of(views(0, "video:1", 5), views(1, "video:2", 3)));
    sink.writeAll(List.of(views(0, "video:1", 5), views(1, "video:2", 3), views(2, "video:1", 4)));
    assertThat(topKEstimate("video:1")).isEqualTo(9);
    assertThat(topKEstimate("video:2")).isEqualTo(3);
    PostgresDeltaSink other = newSink(store); // the partition's next owner: loads the slots
    other.writeAll(List.of(views(2, "video:1", 4), views(3, "video:2", 10)));
    sink.write(views(4, "video:1", 1)); // the first owner's cached slots are stale: reloaded
    assertThat(topKEstimate("video:1")).isEqualTo(10);
    assertThat(topKEstimate("video:2")).isEqualTo(13);
  }
}
