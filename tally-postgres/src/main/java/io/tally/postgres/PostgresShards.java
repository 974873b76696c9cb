package io.tally.postgres;

import static java.util.Objects.requireNonNull;

import io.tally.core.auth.ApiKeyStore;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.partition.Partitioner;
import io.tally.core.store.CounterStore;
import io.tally.core.store.DeltaSink;
import io.tally.core.topk.TopKConfig;
import io.tally.core.topk.TopKStore;
import io.tally.model.TallyException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.datasketches.frequencies.ItemsSketch;

/**
 * PostgreSQL sharded by partition, the design's SQL path: event partition p (its counter rows,
 * checkpoint, applied positions and Top-K slots) lives on shard {@code p mod N} of the configured
 * list, and Tally routes every write and read itself (the "cluster proxy"). A counter row belongs
 * to the partition that writes it: its entity's partition, or for a derived entity's shard row
 * {@code n:v~p} partition p (DESIGN.md invariant 4), so a query reads the shard its writer wrote.
 * The list is checked against the {@link ShardMap} stored in the shards when they open: a changed
 * list is refused, never silently misrouted. One shard is simply an unsharded store.
 *
 * <p>A shard may have a streaming read replica: its reads then go to the replica while it serves
 * and is not behind a read-your-writes position, else to the primary ({@link ReplicaReadStore}).
 *
 * <p>The API keys live on shard 0. Owns the shards' stores (pools); thread-safe.
 */
public final class PostgresShards implements AutoCloseable {
  private final List<PostgresCounterStore> shards;
  private final List<CounterStore> readers;
  private final List<ReplicaReadStore> replicas;
  private final Partitioner partitioner;

  private PostgresShards(
      List<PostgresCounterStore> shards, List<ReplicaReadStore> replicas, Partitioner partitioner) {
    this.shards = List.copyOf(shards);
    this.replicas = List.copyOf(replicas);
    List<CounterStore> r = new ArrayList<>(shards);
    for (ReplicaReadStore replica : replicas) {
      r.set(replica.status().shard(), replica);
    }
    this.readers = List.copyOf(r);
    this.partitioner = partitioner;
  }

  /**
   * Opens (and migrates) every shard, then records or checks the shard map.
   *
   * @param shards one settings per shard, in the list's order (the order is part of the map)
   * @param partitions P, the event partitions
   * @throws TallyException if a shard cannot be reached or migrated, or the list changed
   */
  public static PostgresShards open(List<PostgresSettings> shards, int partitions) {
    return open(shards, List.of(), partitions);
  }

  /**
   * {@link #open(List, int)}, with read replicas: shard i's counter, checkpoint and Top-K reads go
   * to {@code replicas.get(i)} when it is present and serving ({@link ReplicaReadStore}).
   *
   * @param replicas per shard in the list's order, a replica's settings or empty for none; an empty
   *     list for no replicas at all
   * @throws TallyException also if a replica holds another shard's shard map
   */
  public static PostgresShards open(
      List<PostgresSettings> shards, List<Optional<PostgresSettings>> replicas, int partitions) {
    if (shards.isEmpty()) {
      throw new IllegalArgumentException("at least one PostgreSQL shard is needed");
    }
    if (!replicas.isEmpty() && replicas.size() != shards.size()) {
      throw new IllegalArgumentException(
          "one replica entry per shard is needed (empty for none): "
              + shards.size()
              + " shards, "
              + replicas.size()
              + " replica entries");
    }
    Partitioner partitioner = new Partitioner(partitions);
    List<PostgresCounterStore> opened = new ArrayList<>();
    List<ReplicaReadStore> readers = new ArrayList<>();
    try {
      for (PostgresSettings s : shards) {
        opened.add(PostgresCounterStore.open(s));
      }
      ShardMap.check(opened, shards.stream().map(PostgresSettings::jdbcUrl).toList(), partitions);
      for (int i = 0; i < replicas.size(); i++) {
        if (replicas.get(i).isPresent()) {
          PostgresCounterStore replica = PostgresCounterStore.openReplica(replicas.get(i).get());
          readers.add(new ReplicaReadStore(i, opened.get(i), replica));
          ShardMap.checkReplica(opened.get(i), replica);
        }
      }
      return new PostgresShards(opened, readers, partitioner);
    } catch (RuntimeException e) {
      readers.forEach(ReplicaReadStore::close);
      opened.forEach(PostgresCounterStore::close);
      throw e;
    }
  }

  public int size() {
    return shards.size();
  }

  /** The index of event partition {@code partition}'s shard: {@code partition mod N}. */
  int indexOfPartition(int partition) {
    return Math.floorMod(partition, shards.size());
  }

  /** The index of the shard holding row entity {@code entity}'s rows: its writer's shard. */
  int indexOfEntity(String entity) {
    int p = DerivedEntities.shardPartition(entity);
    return indexOfPartition(p >= 0 ? p : partitioner.partition(entity));
  }

  /** Where partition {@code partition}'s reads go: its shard, or that shard's replica. */
  CounterStore readerOfPartition(int partition) {
    return readers.get(indexOfPartition(partition));
  }

  /** Where row entity {@code entity}'s reads go: its writer's shard, or that shard's replica. */
  CounterStore readerOfEntity(String entity) {
    return readers.get(indexOfEntity(entity));
  }

  /** The store queries read, routing each read to its shard (or the shard's replica). */
  public CounterStore counters() {
    return readers.size() == 1 ? readers.get(0) : new ShardedCounterStore(this);
  }

  /** How each shard with a replica serves its reads now, in shard order; empty without replicas. */
  public List<ReplicaStatus> replicaStatus() {
    return replicas.stream().map(ReplicaReadStore::status).toList();
  }

  /** The sink the materializer writes through: one transaction per shard a step touches. */
  public DeltaSink sink(TopKConfig topK, InstantSource clock) {
    List<PostgresDeltaSink> sinks = new ArrayList<>();
    for (PostgresCounterStore s : shards) {
      sinks.add(new PostgresDeltaSink(s, topK, clock));
    }
    return sinks.size() == 1 ? sinks.get(0) : new ShardedDeltaSink(this, sinks);
  }

  /** Every partition's Top-K slots: those of each shard's partitions, read from each shard. */
  public TopKStore topK() {
    return (type, window, first) -> {
      List<ItemsSketch<String>> out = new ArrayList<>();
      for (CounterStore reader : readers) {
        out.addAll(
            reader instanceof ReplicaReadStore r
                ? r.rows(s -> new PostgresTopKStore(s).sketches(type, window, first))
                : new PostgresTopKStore((PostgresCounterStore) reader)
                    .sketches(type, window, first));
      }
      return out;
    };
  }

  /** The API keys, on shard 0. */
  public ApiKeyStore apiKeys() {
    return new PostgresApiKeyStore(shards.get(0));
  }

  /** The store of shard {@code index}, in the list's order. */
  public PostgresCounterStore shard(int index) {
    return requireNonNull(shards.get(index));
  }

  @Override
  public void close() {
    replicas.forEach(ReplicaReadStore::close);
    shards.forEach(PostgresCounterStore::close);
  }
}
