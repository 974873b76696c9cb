package io.tally.cassandra;

import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.CounterStore;
import io.tally.core.store.DeltaSink;
import io.tally.core.store.DeltaSource;
import io.tally.engines.LocalEngines;
import io.tally.engines.RealEngines;
import io.tally.testkit.CounterStoreContract;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The counter store contract on a real Cassandra (a separate JVM started by {@link RealEngines}),
 * each test in a fresh keyspace. The sink side is the materializer's write path: each batch is
 * applied through the {@link CassandraDeltaSink} as if it were the next record of a deltas
 * partition.
 */
@ExtendWith(RealEngines.class)
class CassandraCounterStoreContractTest extends CounterStoreContract {
  private static final AtomicInteger RUN = new AtomicInteger();
  private final LocalEngines engines;
  private CassandraCounterStore store;
  private CassandraDeltaSink sink;
  private long offset;

  CassandraCounterStoreContractTest(LocalEngines engines) {
    this.engines = engines;
  }

  @Override
  protected void open() {
    CassandraSettings s =
        CassandraSettings.defaults(engines.cassandra().contactPoint())
            .withKeyspace(
                "contract_" + RUN.incrementAndGet() + "_" + (System.nanoTime() % 1_000_000));
    store = CassandraCounterStore.open(s);
    // retention is measured from now; the contract writes buckets in 1969 and 2026, so no TTLs here
    InstantSource clock = InstantSource.fixed(Instant.ofEpochMilli(-200_000));
    sink = new CassandraDeltaSink(store, new CounterWriter(store, clock, 64, 10_000), null, clock);
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
