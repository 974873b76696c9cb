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
 * <p>The API keys live on shard 0. Owns the shards' stores (pools); thread-safe.
 */
public final class PostgresShards implements AutoCloseable {
  private final List<PostgresCounterStore> shards;
  private final Partitioner partitioner;

  private PostgresShards(List<PostgresCounterStore> shards, Partitioner partitioner) {
    this.shards = List.copyOf(shards);
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
    if (shards.isEmpty()) {
      throw new IllegalArgumentException("at least one PostgreSQL shard is needed");
    }
    Partitioner partitioner = new Partitioner(partitions);
    List<PostgresCounterStore> opened = new ArrayList<>();
    try {
      for (PostgresSettings s : shards) {
        opened.add(PostgresCounterStore.open(s));
      }
      ShardMap.check(opened, shards.stream().map(PostgresSettings::jdbcUrl).toList(), partitions);
      return new PostgresShards(opened, partitioner);
    } catch (RuntimeException e) {
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

  PostgresCounterStore shardOfPartition(int partition) {
    return shards.get(indexOfPartition(partition));
  }

  PostgresCounterStore shardOfEntity(String entity) {
    return shards.get(indexOfEntity(entity));
  }

  /** The store queries read, routing each read to its shard. */
  public CounterStore counters() {
    return shards.size() == 1 ? shards.get(0) : new ShardedCounterStore(this);
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
    List<PostgresTopKStore> stores = shards.stream().map(PostgresTopKStore::new).toList();
    return (type, window, first) -> {
      List<ItemsSketch<String>> out = new ArrayList<>();
      for (PostgresTopKStore s : stores) {
        out.addAll(s.sketches(type, window, first));
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
    shards.forEach(PostgresCounterStore::close);
  }
}
