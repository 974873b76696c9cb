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
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The counter store contract on a real PostgreSQL ({@link RealPostgres}), each test in a fresh
 * schema. The sink side is the materializer's write path: each batch is applied through the {@link
 * PostgresDeltaSink} as if it were the next record of a deltas partition.
 */
@ExtendWith(RealPostgres.class)
class PostgresCounterStoreContractTest extends CounterStoreContract {
  private final PostgresServer server;
  private PostgresCounterStore store;
  private PostgresDeltaSink sink;
  private long offset;

  PostgresCounterStoreContractTest(PostgresServer server) {
    this.server = server;
  }

  @Override
  protected void open() {
    store = PostgresCounterStore.open(TestSchemas.fresh(server, "contract"));
    // retention is measured from now; the contract writes buckets in 1969 and 2026
    sink =
        new PostgresDeltaSink(
            store, TopKConfig.DISABLED, InstantSource.fixed(Instant.ofEpochMilli(-200_000)));
  }

  @Override
  protected CounterStore store() {
    return store;
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
    store.close();
  }
}
