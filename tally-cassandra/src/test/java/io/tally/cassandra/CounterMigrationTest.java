package io.tally.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.store.QuorumLoss;
import io.tally.core.store.ReadReport;
import io.tally.engines.LocalEngines;
import io.tally.engines.RealEngines;
import io.tally.model.Bucket;
import io.tally.model.Granularity;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.datasketches.hll.HllSketch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A keyspace written by the layout before {@code counter_rows} (a partition per entity, type,
 * granularity and range start, table {@code counters}) is migrated when a node opens it: every row
 * keeps its value, actors, writetime (so DESIGN.md invariant 5 holds across the migration: a
 * replayed delta is not applied twice) and TTL, and the copy happens once.
 */
@ExtendWith(RealEngines.class)
class CounterMigrationTest {
  private static final AtomicInteger RUN = new AtomicInteger();
  private static final long DAY = 86_400_000L;
  private static final long NOW = 1_780_000_000_000L - 1_780_000_000_000L % DAY + 3 * 3_600_000L;
  private static final long MINUTE = NOW - 120_000;
  private static final long HOUR = NOW - NOW % 3_600_000L;

  private final LocalEngines engines;

  CounterMigrationTest(LocalEngines engines) {
    this.engines = engines;
  }

  @Test
  void rowsOfTheOldLayoutAreCopiedWithTheirValuesWritetimesAndTtls() throws Exception {
    CassandraSettings s = settings();
    HllSketch actors = new HllSketch(12);
    actors.update("ann");
    actors.update("bob");
    try (CqlSession cql = cql()) {
      oldLayout(cql, s.keyspace());
      put(
          cql,
          s.keyspace(),
          "video:1",
          Granularity.MINUTE,
          MINUTE / DAY * DAY,
          MINUTE,
          3,
          30,
          500,
          3_600,
          ByteBuffer.wrap(actors.toCompactByteArray()));
      put(
          cql,
          s.keyspace(),
          "video:1",
          Granularity.HOUR,
          HOUR / (30 * DAY) * (30 * DAY),
          HOUR,
          7,
          70,
          600,
          7_200,
          null);
      put(cql, s.keyspace(), "video:1", Granularity.TOTAL, 0, 0, 11, 110, 700, 0, null);
    }

    try (CassandraCounterStore store = CassandraCounterStore.open(s);
        CqlSession cql = cql()) {
      assertThat(store.read(CounterKey.total("video:1", "view"))).isEqualTo(new Bucket(0, 11, 110));
      assertThat(store.range("video:1", "view", Granularity.MINUTE, MINUTE - DAY, MINUTE + 1))
          .containsExactly(new Bucket(MINUTE, 3, 30));
      assertThat(store.range("video:1", "view", Granularity.HOUR, 0, Long.MAX_VALUE))
          .containsExactly(new Bucket(HOUR, 7, 70));
      assertThat(
              store
                  .actors(
                      new CounterKey("video:1", "view", Granularity.MINUTE, MINUTE),
                      new ReadReport(QuorumLoss.FAIL))
                  .estimate()
                  .estimate())
          .isEqualTo(2);

      Row minute =
          cql.execute(
                  "SELECT WRITETIME(count), TTL(count) FROM "
                      + s.keyspace()
                      + ".counter_rows WHERE entity = 'video:1' AND type = 'view'"
                      + " AND granularity = 'minute' AND bucket = ?",
                  MINUTE)
              .one();
      assertThat(minute.getLong(0)).isEqualTo(500);
      assertThat(minute.getInt(1)).isBetween(3_000, 3_600);
      Row total =
          cql.execute(
                  "SELECT WRITETIME(count), TTL(count) FROM "
                      + s.keyspace()
                      + ".counter_rows WHERE entity = 'video:1' AND type = 'view'"
                      + " AND granularity = 'total' AND bucket = 0")
              .one();
      assertThat(total.getLong(0)).isEqualTo(700);
      assertThat(total.isNull(1)).isTrue();

      // a delta the old rows already hold (position 700) is not applied again; a later one is
      CounterWriter writer =
          new CounterWriter(store, InstantSource.fixed(Instant.ofEpochMilli(NOW)), 16, 1_000);
      CounterKey key = CounterKey.total("video:1", "view");
      writer
          .apply(
              Map.of(
                  key,
                  List.of(
                      new CounterWriter.Positioned(700, 11, 110),
                      new CounterWriter.Positioned(701, 1, 10))))
          .get();
      assertThat(store.read(key)).isEqualTo(new Bucket(0, 12, 120));
    }
  }

  @Test
  void theCopyHappensOnceAndANewKeyspaceStartsAtTheCurrentLayout() {
    CassandraSettings s = settings();
    try (CqlSession cql = cql()) {
      oldLayout(cql, s.keyspace());
      put(cql, s.keyspace(), "video:2", Granularity.TOTAL, 0, 0, 5, 50, 100, 0, null);
    }
    CassandraCounterStore.open(s).close();
    try (CqlSession cql = cql()) {
      // written to the old table after the migration (by nothing of this version): not copied
      put(cql, s.keyspace(), "video:2", Granularity.TOTAL, 0, 0, 9, 90, 200, 0, null);
      assertThat(layout(cql, s.keyspace())).isEqualTo(CounterMigration.LAYOUT);
    }
    try (CassandraCounterStore store = CassandraCounterStore.open(s)) {
      assertThat(store.read(CounterKey.total("video:2", "view"))).isEqualTo(new Bucket(0, 5, 50));
    }

    CassandraSettings fresh = settings();
    CassandraCounterStore.open(fresh).close();
    try (CqlSession cql = cql()) {
      assertThat(layout(cql, fresh.keyspace())).isEqualTo(CounterMigration.LAYOUT);
      assertThat(
              cql.execute(
                      "SELECT table_name FROM system_schema.tables"
                          + " WHERE keyspace_name = ? AND table_name = 'counters'",
                      fresh.keyspace())
                  .one())
          .as("a new keyspace has no table of the old layout")
          .isNull();
    }
  }

  private CassandraSettings settings() {
    return CassandraSettings.defaults(engines.cassandra().contactPoint())
        .withKeyspace("migrate_" + RUN.incrementAndGet() + "_" + (System.nanoTime() % 1_000_000));
  }

  private CqlSession cql() {
    return CqlSession.builder()
        .addContactPoint(engines.cassandra().contactPoint())
        .withLocalDatacenter("datacenter1")
        .build();
  }

  /** The keyspace and counters table as the version before counter_rows created them. */
  private static void oldLayout(CqlSession cql, String ks) {
    cql.execute(
        "CREATE KEYSPACE "
            + ks
            + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    cql.execute(
        "CREATE TABLE "
            + ks
            + ".counters (entity text, type text, granularity text, range_start bigint,"
            + " bucket bigint, count bigint, sum bigint, actors blob,"
            + " PRIMARY KEY ((entity, type, granularity, range_start), bucket))");
  }

  private static void put(
      CqlSession cql,
      String ks,
      String entity,
      Granularity g,
      long rangeStart,
      long bucket,
      long count,
      long sum,
      long writetime,
      int ttl,
      ByteBuffer actors) {
    cql.execute(
        "UPDATE "
            + ks
            + ".counters USING TIMESTAMP ? AND TTL ? SET count = ?, sum = ?, actors = ?"
            + " WHERE entity = ? AND type = 'view' AND granularity = ? AND range_start = ?"
            + " AND bucket = ?",
        writetime,
        ttl,
        count,
        sum,
        actors,
        entity,
        g.wireName(),
        rangeStart,
        bucket);
  }

  private static long layout(CqlSession cql, String ks) {
    return cql.execute("SELECT value FROM " + ks + ".meta WHERE name = 'layout'").one().getLong(0);
  }
}
