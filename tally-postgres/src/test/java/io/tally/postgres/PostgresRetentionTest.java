package io.tally.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.store.DeltaSource;
import io.tally.core.topk.TopKConfig;
import io.tally.engines.PostgresServer;
import io.tally.engines.RealPostgres;
import io.tally.model.Granularity;
import io.tally.testkit.ManualClock;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Retention on a real PostgreSQL: rows live in time-range partitions made as rows arrive, and a
 * range wholly past retention is dropped as a table (defaults: minutes 7 days, hours 90 days, days
 * and totals forever).
 */
@ExtendWith(RealPostgres.class)
class PostgresRetentionTest {
  private static final long DAY = 86_400_000L;
  private static final long D0 = 20_483 * DAY; // 2026-01-30T00:00:00Z, a range start of minutes
  private final PostgresServer server;
  private final ManualClock clock = new ManualClock(D0 + DAY / 2);
  private PostgresCounterStore store;
  private PostgresDeltaSink sink;
  private long offset;

  PostgresRetentionTest(PostgresServer server) {
    this.server = server;
  }

  @BeforeEach
  void open() {
    store = PostgresCounterStore.open(TestSchemas.fresh(server, "retention"));
    sink = new PostgresDeltaSink(store, TopKConfig.DISABLED, clock);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private void write(Granularity g, long bucket, long count) {
    CounterKey key = new CounterKey("video:1", "view", g, bucket);
    sink.write(
        new DeltaBatch(
            List.of(new CounterDelta(key, count, count)), List.of(), new DeltaSource(0, offset++)));
  }

  private long count(Granularity g, long bucket) {
    return store.read(new CounterKey("video:1", "view", g, bucket)).count();
  }

  private List<String> partitions(Granularity g) throws Exception {
    try (Connection c = store.connection()) {
      return TimePartitions.partitions(c, g);
    }
  }

  @Test
  void rowsLiveInRangePartitionsMadeAsTheyArrive() throws Exception {
    write(Granularity.MINUTE, D0 + 60_000, 1);
    write(Granularity.MINUTE, D0 - 60_000, 2); // the day before: another range
    write(Granularity.HOUR, D0, 3);
    write(Granularity.DAY, D0, 4);
    write(Granularity.TOTAL, 0, 5);
    assertThat(partitions(Granularity.MINUTE))
        .containsExactly("counters_minute_20482", "counters_minute_20483");
    assertThat(partitions(Granularity.HOUR)).containsExactly("counters_hour_682"); // 20483 / 30
    assertThat(partitions(Granularity.DAY)).containsExactly("counters_day_56");
    assertThat(count(Granularity.MINUTE, D0 - 60_000)).isEqualTo(2);
    assertThat(store.range("video:1", "view", Granularity.MINUTE, 0, Long.MAX_VALUE)).hasSize(2);
  }

  @Test
  void aRangeWhollyPastRetentionIsDroppedAndNewerRowsStay() throws Exception {
    write(Granularity.MINUTE, D0 + 60_000, 1);
    write(Granularity.MINUTE, D0 + DAY + 60_000, 2);
    write(Granularity.HOUR, D0, 3);
    write(Granularity.DAY, D0, 4);
    write(Granularity.TOTAL, 0, 5);

    clock.set(D0 + 8 * DAY); // all of day D0 is past 7 days, day D0 + 1 is not
    assertThat(sink.dropExpired()).containsExactly("counters_minute_20483");
    assertThat(count(Granularity.MINUTE, D0 + 60_000)).isZero();
    assertThat(count(Granularity.MINUTE, D0 + DAY + 60_000)).isEqualTo(2);

    clock.set(D0 + 200 * DAY);
    assertThat(sink.dropExpired())
        .containsExactlyInAnyOrder("counters_minute_20484", "counters_hour_682");
    assertThat(partitions(Granularity.MINUTE)).isEmpty();
    assertThat(count(Granularity.DAY, D0)).isEqualTo(4);
    assertThat(count(Granularity.TOTAL, 0)).isEqualTo(5);
  }

  @Test
  void aRowAlreadyPastRetentionIsNeitherWrittenNorGivenAPartition() throws Exception {
    clock.set(D0 + 30 * DAY);
    write(Granularity.MINUTE, D0, 1);
    write(Granularity.TOTAL, 0, 1);
    assertThat(count(Granularity.MINUTE, D0)).isZero();
    assertThat(partitions(Granularity.MINUTE)).isEmpty();
    assertThat(count(Granularity.TOTAL, 0)).isEqualTo(1);
  }
}
