package io.tally.cassandra;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.CounterStore;
import io.tally.core.store.DeltaSink;
import io.tally.engines.LocalEngines;
import io.tally.engines.RealEngines;
import io.tally.testkit.CounterStoreContract;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The counter store contract on a real Cassandra (a separate JVM started by {@link RealEngines}),
 * each test in a fresh keyspace. The sink side is the materializer's write path: each batch is
 * applied through the {@link CounterWriter} as if it were the next record of a deltas partition.
 */
@ExtendWith(RealEngines.class)
class CassandraCounterStoreContractTest extends CounterStoreContract {
  private static final AtomicInteger RUN = new AtomicInteger();
  private final LocalEngines engines;
  private CassandraCounterStore store;
  private CounterWriter writer;
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
    writer =
        new CounterWriter(store, InstantSource.fixed(Instant.ofEpochMilli(-200_000)), 64, 10_000);
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
        long position = CounterWriter.position(writer.generation(), offset++);
        Map<CounterKey, List<CounterWriter.Positioned>> rows = new LinkedHashMap<>();
        for (CounterDelta d : batch.deltas()) {
          rows.computeIfAbsent(d.key(), k -> new ArrayList<>())
              .add(new CounterWriter.Positioned(position, d.count(), d.sum(), d.actors()));
        }
        try {
          writer.apply(rows).get(30, TimeUnit.SECONDS);
          for (Checkpoint cp : batch.checkpoints()) {
            writer.writeProgress(cp, position).get(30, TimeUnit.SECONDS);
          }
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }

      @Override
      public Optional<Checkpoint> checkpoint(int partition) {
        return store.checkpoint(partition);
      }
    };
  }

  @Override
  protected void closeStore() {
    store.close();
  }
}
