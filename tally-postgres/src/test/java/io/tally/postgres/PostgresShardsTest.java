package io.tally.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.partition.Partitioner;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import io.tally.core.store.DeltaSource;
import io.tally.core.topk.TopKConfig;
import io.tally.engines.PostgresServer;
import io.tally.engines.RealPostgres;
import io.tally.model.TallyException;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Sharding by partition on a real PostgreSQL (each shard a schema): partition p's rows and
 * checkpoint live on shard p mod N, and a changed shard list is refused at start.
 */
@ExtendWith(RealPostgres.class)
class PostgresShardsTest {
  private static final int P = 8;
  private final PostgresServer server;

  PostgresShardsTest(PostgresServer server) {
    this.server = server;
  }

  @Test
  void eachPartitionsRowsAndCheckpointLiveOnShardPModN() {
    PostgresSettings a = TestSchemas.fresh(server, "route_a");
    PostgresSettings b = TestSchemas.fresh(server, "route_b");
    Partitioner partitioner = new Partitioner(P);
    try (PostgresShards shards = PostgresShards.open(List.of(a, b), P)) {
      DeltaSink sink = shards.sink(TopKConfig.DISABLED, InstantSource.system());
      for (int i = 0; i < 40; i++) {
        String entity = "video:" + i;
        int p = partitioner.partition(entity);
        sink.write(
            new DeltaBatch(
                List.of(new CounterDelta(CounterKey.total(entity, "view"), i + 1, i + 1)),
                List.of(new Checkpoint(p, i + 1, i, i)),
                new DeltaSource(p, i)));
      }
      for (int i = 0; i < 40; i++) {
        String entity = "video:" + i;
        int p = partitioner.partition(entity);
        CounterKey key = CounterKey.total(entity, "view");
        assertThat(shards.counters().read(key).count()).isEqualTo(i + 1);
        assertThat(shards.shard(p % 2).read(key).count()).isEqualTo(i + 1);
        assertThat(shards.shard(1 - p % 2).read(key).count()).isZero();
        assertThat(shards.shard(p % 2).checkpoint(p)).isPresent();
        assertThat(shards.shard(1 - p % 2).checkpoint(p)).isEmpty();
      }
    }
  }

  @Test
  void aDerivedEntitysShardRowLivesWithItsWritingPartition() {
    PostgresSettings a = TestSchemas.fresh(server, "derived_a");
    PostgresSettings b = TestSchemas.fresh(server, "derived_b");
    try (PostgresShards shards = PostgresShards.open(List.of(a, b), P)) {
      assertThat(shards.indexOfEntity("channel:c1~3")).isEqualTo(1);
      assertThat(shards.indexOfEntity("channel:c1~6")).isEqualTo(0);
    }
  }

  @Test
  void aChangedShardListIsRefusedAtStart() {
    PostgresSettings a = TestSchemas.fresh(server, "map_a");
    PostgresSettings b = TestSchemas.fresh(server, "map_b");
    PostgresSettings c = TestSchemas.fresh(server, "map_c");
    PostgresShards.open(List.of(a, b), P).close();
    PostgresShards.open(List.of(a, b), P).close(); // the same list again: fine

    assertThatThrownBy(() -> PostgresShards.open(List.of(b, a), P))
        .isInstanceOf(TallyException.class)
        .hasMessageContaining("refusing a changed PostgreSQL shard list")
        .hasMessageContaining("is shard 1 of 2, but the list makes it shard 0 of 2");
    assertThatThrownBy(() -> PostgresShards.open(List.of(a, b, c), P))
        .hasMessageContaining("is shard 0 of 2, but the list makes it shard 0 of 3");
    assertThatThrownBy(() -> PostgresShards.open(List.of(a), P))
        .hasMessageContaining("is shard 0 of 2, but the list makes it shard 0 of 1");
    assertThatThrownBy(() -> PostgresShards.open(List.of(a, b), 16))
        .hasMessageContaining("was made for 8 partitions, not 16");
    assertThatThrownBy(() -> PostgresShards.open(List.of(c, b), P))
        .hasMessageContaining("holds no shard map while the others do");
  }

  @Test
  void shardsOfAnotherStoreAreRefused() {
    PostgresSettings a = TestSchemas.fresh(server, "other_a");
    PostgresSettings b = TestSchemas.fresh(server, "other_b");
    PostgresSettings x = TestSchemas.fresh(server, "other_x");
    PostgresSettings y = TestSchemas.fresh(server, "other_y");
    PostgresShards.open(List.of(a, b), P).close();
    PostgresShards.open(List.of(x, y), P).close();
    assertThatThrownBy(() -> PostgresShards.open(List.of(a, y), P))
        .hasMessageContaining("belongs to another sharded store");
  }
}
