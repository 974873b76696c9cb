package io.tally.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.partition.Partitioner;
import io.tally.core.recount.CounterRows;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import io.tally.core.store.DeltaSource;
import io.tally.core.topk.TopKConfig;
import io.tally.engines.PostgresServer;
import io.tally.engines.RealPostgres;
import io.tally.model.Granularity;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A recount's view of PostgreSQL sharded over two schemas of a real server: the cut holds each
 * partition's rows as of its checkpoint while the sink goes on, and a replacement adds {@code value
 * − value in the cut} in one transaction, so a delta applied after the cut stays counted once; a
 * row replaced by nothing is gone, a row the recount adds takes later deltas.
 */
@ExtendWith(RealPostgres.class)
class PostgresCounterRowsTest {
  private static final int P = 4;
  private static final long T = 1_769_860_800_000L; // 2026-01-31T12:00:00Z
  private static final InstantSource CLOCK = InstantSource.fixed(Instant.ofEpochMilli(T + 60_000));

  private final PostgresServer server;
  private final Partitioner partitioner = new Partitioner(P);
  private PostgresShards shards;
  private DeltaSink sink;
  private final long[] offsets = new long[P];

  PostgresCounterRowsTest(PostgresServer server) {
    this.server = server;
  }

  @BeforeEach
  void open() {
    shards =
        PostgresShards.open(
            List.of(TestSchemas.fresh(server, "recount_a"), TestSchemas.fresh(server, "recount_b")),
            P);
    sink = shards.sink(TopKConfig.DISABLED, CLOCK);
  }

  @AfterEach
  void close() {
    shards.close();
  }

  private static CounterKey minute(String entity) {
    return new CounterKey(entity, "view", Granularity.MINUTE, T);
  }

  /** Views of {@code entity} in minute T, applied as the materializer would (with a checkpoint). */
  private void views(String entity, long count, boolean checkpoint) {
    int p = partitioner.partition(entity);
    long offset = offsets[p]++;
    sink.write(
        new DeltaBatch(
            List.of(new CounterDelta(minute(entity), count, count * 10)),
            checkpoint ? List.of(new Checkpoint(p, offset + 1, T, T)) : List.of(),
            new DeltaSource(p, offset)));
  }

  private CounterRows rows() {
    return new PostgresCounterRows(shards, P);
  }

  private static List<CounterRows.Row> minuteRows(CounterRows.Snapshot cut) {
    List<CounterRows.Row> out = new ArrayList<>();
    cut.forEachRow(Granularity.MINUTE, T, T + 60_000, out::add);
    out.sort(java.util.Comparator.comparing(r -> r.key().entity()));
    return out;
  }

  @Test
  void theCutHoldsEveryPartitionsRowsAsOfItsCheckpointWhileTheSinkGoesOn() {
    for (int v = 0; v < 8; v++) {
      views("video:" + v, v + 1, true);
    }
    try (CounterRows.Snapshot cut = rows().snapshot()) {
      views("video:1", 100, true); // after the cut
      List<CounterRows.Row> rows = minuteRows(cut);
      assertThat(rows).hasSize(8);
      assertThat(rows.get(1)).isEqualTo(new CounterRows.Row(minute("video:1"), 2, 20));
      int p = partitioner.partition("video:1");
      assertThat(cut.checkpoint(p).orElseThrow().nextOffset()).isEqualTo(offsets[p] - 1);
      assertThat(cut.read(minute("video:1")))
          .isEqualTo(new CounterRows.Row(minute("video:1"), 2, 20));
    }
    assertThat(shards.counters().read(minute("video:1")).count()).isEqualTo(102);
  }

  @Test
  void aReplacementKeepsWhatWasAppliedAfterTheCut() {
    views("video:1", 2, true);
    try (CounterRows.Snapshot cut = rows().snapshot()) {
      minuteRows(cut);
      views("video:1", 1, false); // a late event, applied after the cut
      cut.replace(List.of(new CounterRows.Row(minute("video:1"), 5, 50)));
    }
    assertThat(shards.counters().read(minute("video:1")).count()).isEqualTo(6);
    assertThat(shards.counters().read(minute("video:1")).sum()).isEqualTo(60);
    try (CounterRows.Snapshot cut = rows().snapshot()) {
      assertThat(minuteRows(cut)).containsExactly(new CounterRows.Row(minute("video:1"), 6, 60));
    }
  }

  @Test
  void aRowReplacedByNothingIsGoneAndARowTheRecountAddsTakesLaterDeltas() {
    views("video:1", 2, true);
    try (CounterRows.Snapshot cut = rows().snapshot()) {
      minuteRows(cut);
      cut.replace(List.of(new CounterRows.Row(minute("video:1"), 0, 0)));
      cut.replace(List.of(new CounterRows.Row(minute("video:2"), 3, 30))); // absent in the cut
    }
    assertThat(shards.counters().range("video:1", "view", Granularity.MINUTE, T, T + 60_000))
        .isEmpty();
    views("video:2", 1, true); // the materializer goes on after the recount
    assertThat(shards.counters().read(minute("video:2")).count()).isEqualTo(4);
    assertThat(shards.counters().read(minute("video:2")).sum()).isEqualTo(40);
  }
}
