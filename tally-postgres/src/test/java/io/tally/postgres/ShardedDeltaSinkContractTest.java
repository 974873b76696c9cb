package io.tally.postgres;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.store.DeltaSink;
import io.tally.core.topk.TopKConfig;
import io.tally.engines.PostgresServer;
import io.tally.engines.RealPostgres;
import io.tally.testkit.DeltaSinkContract;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.extension.ExtendWith;

/** The {@link DeltaSink} contract on two PostgreSQL shards (each a fresh schema). */
@ExtendWith(RealPostgres.class)
class ShardedDeltaSinkContractTest extends DeltaSinkContract {
  private final PostgresServer server;
  private PostgresShards shards;
  private DeltaSink sink;

  ShardedDeltaSinkContractTest(PostgresServer server) {
    this.server = server;
  }

  @Override
  protected void open() {
    shards =
        PostgresShards.open(
            List.of(TestSchemas.fresh(server, "shard_a"), TestSchemas.fresh(server, "shard_b")), 8);
    sink = shards.sink(TopKConfig.DEFAULTS, InstantSource.fixed(Instant.ofEpochMilli(T)));
  }

  @Override
  protected DeltaSink sink() {
    return sink;
  }

  @Override
  protected long count(CounterKey key) {
    return shards.counters().read(key).count();
  }

  @Override
  protected void closeSink() {
    shards.close();
  }
}
