package io.tally.server;

import io.tally.cassandra.CassandraApiKeyStore;
import io.tally.cassandra.CassandraCounterRows;
import io.tally.cassandra.CassandraCounterStore;
import io.tally.cassandra.CassandraDeltaSink;
import io.tally.cassandra.CassandraSettings;
import io.tally.cassandra.CassandraTopKStore;
import io.tally.cassandra.CounterWriter;
import io.tally.cassandra.TopKWriter;
import io.tally.core.auth.ApiKeyStore;
import io.tally.core.recount.CorrectionLog;
import io.tally.core.recount.CounterRows;
import io.tally.core.store.CounterStore;
import io.tally.core.store.DeltaSink;
import io.tally.core.topk.TopKConfig;
import io.tally.core.topk.TopKStore;
import io.tally.postgres.PostgresCounterRows;
import io.tally.postgres.PostgresSettings;
import io.tally.postgres.PostgresShards;
import io.tally.postgres.ReplicaStatus;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;

/**
 * The counter store a cluster node reads and its materializer writes, with the Top-K slots and API
 * keys that live beside it: Cassandra, or PostgreSQL sharded by partition ({@code --store}). Every
 * node opens it (the API keys live there). Owns the connections; thread-safe.
 */
interface ClusterStore extends AutoCloseable {
  /** The counters queries read. */
  CounterStore counters();

  /** Every partition's Top-K slots, for queries. */
  TopKStore topK();

  /** A sink for the materializer (one per node). */
  DeltaSink sink(TopKConfig topK, InstantSource clock);

  /** The API keys every node shares. */
  ApiKeyStore apiKeys();

  /**
   * The counter rows (and Top-K slots, kept as {@code topK} says) as a recount reads and replaces
   * them (through {@code corrections} where the store needs the deltas topic), or null where that
   * is not built.
   */
  default CounterRows recountRows(
      int partitions, CorrectionLog corrections, TopKConfig topK, InstantSource clock) {
    return null;
  }

  /** How each PostgreSQL shard with a read replica serves its reads; empty for other stores. */
  default List<ReplicaStatus> replicaStatus() {
    return List.of();
  }

  @Override
  void close();

  /**
   * Connects to the configured store, creating or migrating its schema.
   *
   * @throws io.tally.model.TallyException if it cannot be reached, or a shard list changed
   */
  static ClusterStore open(ClusterConfig config) {
    int partitions = config.kafka().partitions();
    return config.postgres().isEmpty()
        ? cassandra(config.cassandra(), partitions)
        : postgres(config.postgres(), config.postgresReplicas(), partitions);
  }

  /** How many cached rows Cassandra's materializer keeps (about 150 bytes each). */
  long MATERIALIZER_CACHED_ROWS = 500_000;

  /**
   * Cassandra requests (row reads and write batches) the materializer keeps in flight. Queries
   * share Cassandra's request threads with them, so each in-flight write is CPU a query waits
   * behind: at 20,000 events/s on one node, 256 in flight gave `total` a p50 of 52–200 ms and
   * freshness p99 2.4–9 s; 16 gave 25 ms and 2.1 s at the same write throughput; 4 no better
   * queries and later counts (docs/benchmarks.md).
   */
  int MATERIALIZER_IN_FLIGHT = 16;

  private static ClusterStore cassandra(CassandraSettings settings, int partitions) {
    CassandraCounterStore store = CassandraCounterStore.open(settings);
    CassandraTopKStore topK = new CassandraTopKStore(store, partitions);
    return new ClusterStore() {
      @Override
      public CounterStore counters() {
        return store;
      }

      @Override
      public TopKStore topK() {
        return topK;
      }

      @Override
      public DeltaSink sink(TopKConfig config, InstantSource clock) {
        return new CassandraDeltaSink(
            store,
            new CounterWriter(store, clock, MATERIALIZER_IN_FLIGHT, MATERIALIZER_CACHED_ROWS),
            new TopKWriter(topK, config, clock),
            clock);
      }

      @Override
      public ApiKeyStore apiKeys() {
        return new CassandraApiKeyStore(store);
      }

      @Override
      public CounterRows recountRows(
          int partitions, CorrectionLog corrections, TopKConfig config, InstantSource clock) {
        return new CassandraCounterRows(store, partitions, corrections, topK, config, clock);
      }

      @Override
      public void close() {
        store.close();
      }
    };
  }

  private static ClusterStore postgres(
      List<PostgresSettings> shards, List<Optional<PostgresSettings>> replicas, int partitions) {
    PostgresShards store = PostgresShards.open(shards, replicas, partitions);
    TopKStore topK = store.topK();
    return new ClusterStore() {
      @Override
      public CounterStore counters() {
        return store.counters();
      }

      @Override
      public TopKStore topK() {
        return topK;
      }

      @Override
      public DeltaSink sink(TopKConfig config, InstantSource clock) {
        return store.sink(config, clock);
      }

      @Override
      public ApiKeyStore apiKeys() {
        return store.apiKeys();
      }

      @Override
      public List<ReplicaStatus> replicaStatus() {
        return store.replicaStatus();
      }

      /** Rows only: Top-K slots are not rebuilt over PostgreSQL ({@link PostgresCounterRows}). */
      @Override
      public CounterRows recountRows(
          int partitions, CorrectionLog corrections, TopKConfig config, InstantSource clock) {
        return new PostgresCounterRows(store, partitions);
      }

      @Override
      public void close() {
        store.close();
      }
    };
  }
}
