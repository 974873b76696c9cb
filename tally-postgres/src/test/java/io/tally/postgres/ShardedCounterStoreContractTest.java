package io.tally.postgres;

import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.CounterStore;
import io.tally.core.store.DeltaSink;
import io.tally.core.store.DeltaSource;
import io.tally.core.topk.TopKConfig;
import io.tally.engines.PostgresServer;
import io.tally.engines.RealPostgres;
import io.tally.testkit.CounterStoreContract;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The counter store contract on two PostgreSQL shards ({@link PostgresShards}, each a fresh schema
 * of the real server), through the sharded sink and store: every row is read from the shard its
 * writer's partition lives on.
 */
@ExtendWith(RealPostgres.class)
class ShardedCounterStoreContractTest extends CounterStoreContract {
  private final PostgresServer server;
  private PostgresShards shards;
  private DeltaSink sink;
  private long offset;

  ShardedCounterStoreContractTest(PostgresServer server) {
    this.server = server;
  }

  @Override
  protected void open() {
    shards =
        PostgresShards.open(
            List.of(TestSchemas.fresh(server, "shard_a"), TestSchemas.fresh(server, "shard_b")), 8);
    sink = shards.sink(TopKConfig.DISABLED, InstantSource.fixed(Instant.ofEpochMilli(-200_000)));
  }

  @Override
  protected CounterStore store() {
    return shards.counters();
  }

  @Override
  protected DeltaSink sink() {
    return new DeltaSink() {
      @Override
      public void write(DeltaBatch batch) {
        sink.write(
            new DeltaBatch(batch.deltas(), batch.checkpoints(), new DeltaSource(0, offset++)));
      }

      @Override
      public Optional<Checkpoint> checkpoint(int partition) {
        return sink.checkpoint(partition);
      }
    };
  }

  @Override
  protected void closeStore() {
    shards.close();
  }
}
