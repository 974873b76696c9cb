package io.tally.postgres;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.CounterStore;
import io.tally.core.store.ReadReport;
import io.tally.core.uniques.ActorSketch;
import io.tally.model.Bucket;
import io.tally.model.Granularity;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The counter store over several shards ({@link PostgresShards}): a row is read from the shard of
 * its writing partition (or its replica), a partition's as-of and checkpoint from that partition's
 * shard (or its replica). Thread-safe.
 */
final class ShardedCounterStore implements CounterStore {
  private final PostgresShards shards;

  ShardedCounterStore(PostgresShards shards) {
    this.shards = shards;
  }

  @Override
  public Bucket read(CounterKey key) {
    return shards.readerOfEntity(key.entity()).read(key);
  }

  @Override
  public List<Bucket> range(String entity, String type, Granularity g, long from, long to) {
    return shards.readerOfEntity(entity).range(entity, type, g, from, to);
  }

  @Override
  public ActorSketch actors(CounterKey key, ReadReport report) {
    return shards.readerOfEntity(key.entity()).actors(key, report);
  }

  @Override
  public NavigableMap<Long, ActorSketch> actorsRange(
      String entity, String type, Granularity g, long from, long to, ReadReport report) {
    return shards.readerOfEntity(entity).actorsRange(entity, type, g, from, to, report);
  }

  @Override
  public OptionalLong asOfMillis(int partition) {
    return shards.readerOfPartition(partition).asOfMillis(partition);
  }

  @Override
  public Optional<Checkpoint> checkpoint(int partition) {
    return shards.readerOfPartition(partition).checkpoint(partition);
  }

  @Override
  public Optional<Checkpoint> checkpoint(int partition, long wantedNextOffset) {
    return shards.readerOfPartition(partition).checkpoint(partition, wantedNextOffset);
  }
}
