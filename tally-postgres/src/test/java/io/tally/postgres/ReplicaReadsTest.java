package io.tally.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.partition.Partitioner;
import io.tally.core.query.PositionGate;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.CounterStore;
import io.tally.core.store.DeltaSink;
import io.tally.core.store.DeltaSource;
import io.tally.core.topk.TopKConfig;
import io.tally.engines.FreePorts;
import io.tally.engines.PostgresServer;
import io.tally.model.Position;
import io.tally.model.TallyException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Read replicas on a real PostgreSQL primary and its real streaming replica: a shard's reads go to
 * the replica, whose lag shows as an older as-of; read-your-writes holds while the replica lags
 * (its replay paused); a replica that is down leaves reads to the primary; a replica of another
 * shard is refused at start.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReplicaReadsTest {
  private static final int P = 4;
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  /** Under target: a JUnit temp dir is closed to others, and the server user must reach it. */
  private static final Path BASE = Path.of("target", "replica-reads-" + System.nanoTime());

  private static PostgresServer primary;
  private static PostgresServer replica;

  private final Partitioner partitioner = new Partitioner(P);
  private long offset;

  @BeforeAll
  static void startServers() {
    int[] ports = FreePorts.take(2);
    primary = PostgresServer.start(BASE.resolve("primary"), ports[0]);
    replica = PostgresServer.startReplica(primary, BASE.resolve("replica"), ports[1]);
  }

  @AfterAll
  static void stopServers() {
    if (replica != null) {
      replica.stop();
    }
    if (primary != null) {
      primary.stop();
    }
  }

  /** Shard a (with the replica) and shard b (without), as schemas of the one primary. */
  private record Pair(PostgresSettings a, PostgresSettings b, PostgresSettings replicaOfA) {
    PostgresShards open() {
      return PostgresShards.open(
          List.of(a, b), List.of(Optional.of(replicaOfA), Optional.empty()), P);
    }
  }

  private static Pair pair(String prefix) {
    PostgresSettings a = TestSchemas.fresh(primary, prefix + "_a");
    PostgresSettings b = TestSchemas.fresh(primary, prefix + "_b");
    PostgresSettings r =
        PostgresSettings.defaults(replica.jdbcUrl())
            .withUser(PostgresServer.USER, "")
            .withPoolSize(4)
            .withSchema(a.schema());
    return new Pair(a, b, r);
  }

  /** An entity of a partition on shard a (an even partition: p mod 2 = 0). */
  private String entityOnShardA() {
    for (int i = 0; ; i++) {
      if (partitioner.partition("video:" + i) % 2 == 0) {
        return "video:" + i;
      }
    }
  }

  /** Writes {@code count} views of {@code entity} with a checkpoint as of {@code asOf}. */
  private Checkpoint write(DeltaSink sink, String entity, long count, long asOf) {
    int p = partitioner.partition(entity);
    offset += count;
    Checkpoint cp = new Checkpoint(p, offset, asOf, asOf);
    sink.write(
        new DeltaBatch(
            List.of(new CounterDelta(CounterKey.total(entity, "view"), count, count)),
            List.of(cp),
            new DeltaSource(p, offset)));
    return cp;
  }

  private static void onReplica(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(replica.jdbcUrl(), PostgresServer.USER, "");
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static long rowsOnReplica(String table) throws SQLException {
    try (Connection c = DriverManager.getConnection(replica.jdbcUrl(), PostgresServer.USER, "");
        Statement s = c.createStatement();
        java.sql.ResultSet r = s.executeQuery("SELECT count(*) FROM " + table)) {
      r.next();
      return r.getLong(1);
    }
  }

  private static long count(CounterStore store, String entity) {
    return store.read(CounterKey.total(entity, "view")).count();
  }

  @Test
  void aReplicaReadShowsItsLagInAsOfUntilReplayCatchesUp() throws Exception {
    Pair pair = pair("lag");
    String entity = entityOnShardA();
    int p = partitioner.partition(entity);
    try (PostgresShards shards = pair.open()) {
      DeltaSink sink = shards.sink(TopKConfig.DISABLED, InstantSource.system());
      CounterStore reads = shards.counters();
      write(sink, entity, 10, 1_000);
      await().atMost(PATIENCE).until(() -> reads.asOfMillis(p).orElse(0) == 1_000);
      assertThat(count(reads, entity)).isEqualTo(10);

      onReplica("SELECT pg_wal_replay_pause()");
      try {
        write(sink, entity, 5, 2_000);
        assertThat(shards.shard(0).checkpoint(p).orElseThrow().asOfMillis()).isEqualTo(2_000);
        // past the as-of memo's refresh, the replica still shows what it had replayed
        Thread.sleep(3 * io.tally.core.store.AsOfMemo.REFRESH_MILLIS);
        assertThat(reads.asOfMillis(p)).hasValue(1_000);
        assertThat(count(reads, entity)).isEqualTo(10);
        assertThat(shards.replicaStatus().get(0).onReplica()).isTrue();
      } finally {
        onReplica("SELECT pg_wal_replay_resume()");
      }
      await().atMost(PATIENCE).until(() -> reads.asOfMillis(p).orElse(0) == 2_000);
      assertThat(count(reads, entity)).isEqualTo(15);
      assertThat(shards.replicaStatus().get(0).replicaReads()).isPositive();
      assertThat(shards.replicaStatus().get(0).fallbacks()).isZero();
    }
  }

  @Test
  void aReadYourWritesPositionTheReplicaLacksIsReadFromThePrimary() throws Exception {
    Pair pair = pair("ryw");
    String entity = entityOnShardA();
    int p = partitioner.partition(entity);
    try (PostgresShards shards = pair.open()) {
      DeltaSink sink = shards.sink(TopKConfig.DISABLED, InstantSource.system());
      CounterStore reads = shards.counters();
      write(sink, entity, 10, 1_000);
      await().atMost(PATIENCE).until(() -> count(reads, entity) == 10);
      PositionGate gate = new PositionGate(reads, P, InstantSource.system());

      onReplica("SELECT pg_wal_replay_pause()");
      try {
        Checkpoint written = write(sink, entity, 5, 2_000);
        gate.await(Position.of(p, written.nextOffset()).token(), "10000");
        assertThat(count(reads, entity)).isEqualTo(15); // the write is read, from the primary
        assertThat(reads.asOfMillis(p)).hasValue(2_000);
        ReplicaStatus status = shards.replicaStatus().get(0);
        assertThat(status.onReplica()).isFalse();
        assertThat(status.reason()).contains("read-your-writes");
        // while the replica lags what the primary showed, reads stay on the primary
        Thread.sleep(3 * ReplicaReadStore.PROBE_MILLIS);
        assertThat(shards.replicaStatus().get(0).onReplica()).isFalse();
        assertThat(count(reads, entity)).isEqualTo(15);
      } finally {
        onReplica("SELECT pg_wal_replay_resume()");
      }
      await().atMost(PATIENCE).until(() -> shards.replicaStatus().get(0).onReplica());
      assertThat(count(reads, entity)).isEqualTo(15);
      assertThat(reads.asOfMillis(p).orElse(0)).isEqualTo(2_000);
    }
  }

  @Test
  void readsFallBackToThePrimaryWhileTheReplicaIsDown() {
    Pair pair = pair("down");
    String entity = entityOnShardA();
    int p = partitioner.partition(entity);
    try (PostgresShards shards = pair.open()) {
      DeltaSink sink = shards.sink(TopKConfig.DISABLED, InstantSource.system());
      CounterStore reads = shards.counters();
      write(sink, entity, 10, 1_000);
      await().atMost(PATIENCE).until(() -> count(reads, entity) == 10);

      replica.stop();
      try {
        write(sink, entity, 5, 2_000);
        assertThat(count(reads, entity)).isEqualTo(15);
        assertThat(reads.asOfMillis(p)).hasValue(2_000);
        ReplicaStatus status = shards.replicaStatus().get(0);
        assertThat(status.onReplica()).isFalse();
        assertThat(status.fallbacks()).isEqualTo(1);
        assertThat(status.reason()).contains("the replica failed");
      } finally {
        replica.start();
      }
      await().atMost(PATIENCE).until(() -> shards.replicaStatus().get(0).onReplica());
      assertThat(count(reads, entity)).isEqualTo(15);
    }
  }

  @Test
  void aReplicaOfAnotherShardIsRefusedAtStart() {
    Pair pair = pair("swap");
    pair.open().close();
    await() // the replica has streamed shard a's map
        .atMost(PATIENCE)
        .ignoreExceptions()
        .until(() -> rowsOnReplica(pair.a().schema() + ".shard_map") == 1);
    assertThatThrownBy(
            () ->
                PostgresShards.open(
                    List.of(pair.a(), pair.b()),
                    List.of(Optional.empty(), Optional.of(pair.replicaOfA())),
                    P))
        .isInstanceOf(TallyException.class)
        .hasMessageContaining("refusing PostgreSQL replica")
        .hasMessageContaining("it is a copy of shard 0");
  }
}
