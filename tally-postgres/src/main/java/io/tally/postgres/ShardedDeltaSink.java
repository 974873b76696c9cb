package io.tally.postgres;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The delta sink over several shards ({@link PostgresShards}): a batch read from deltas partition p
 * (which carries exactly event partition p's deltas, DESIGN.md invariant 4) goes with its rows and
 * checkpoints to shard {@code p mod N}, one transaction per shard a step touches. A step is thus
 * atomic per shard, not across shards: if a shard fails, the others' transactions may have
 * committed, and the retry of the whole step skips what they applied (each shard keeps the applied
 * positions of what it holds, so a batch split over shards is also applied once on each).
 *
 * <p>Each shard keeps its own generation of positions (its own {@code sources} row), which is all
 * the positions need: they are only ever compared within the shard that holds the partition.
 * Thread-safe, as the shards' sinks.
 */
final class ShardedDeltaSink implements DeltaSink {
  private final PostgresShards shards;
  private final List<PostgresDeltaSink> sinks;

  ShardedDeltaSink(PostgresShards shards, List<PostgresDeltaSink> sinks) {
    this.shards = shards;
    this.sinks = List.copyOf(sinks);
  }

  @Override
  public void write(DeltaBatch batch) {
    writeAll(List.of(batch));
  }

  /**
   * Splits each batch by shard — its rows by their writer's shard, its checkpoints by their
   * partition's — into batches with the same source, and writes each shard's in one transaction. In
   * operation a batch of partition p goes to shard p mod N whole.
   */
  @Override
  public void writeAll(List<DeltaBatch> batches) {
    List<List<DeltaBatch>> byShard = new ArrayList<>();
    for (int i = 0; i < sinks.size(); i++) {
      byShard.add(new ArrayList<>());
    }
    for (DeltaBatch b : batches) {
      if (b.source() == null) {
        throw new IllegalArgumentException(
            "PostgreSQL applies deltas idempotently by their position: a batch needs its source");
      }
      if (!b.corrections().isEmpty() || !b.slotCorrections().isEmpty()) { // refused over PostgreSQL
        throw new IllegalArgumentException("PostgreSQL does not apply a recount's corrections");
      }
      Map<Integer, List<CounterDelta>> deltas = new TreeMap<>();
      Map<Integer, List<Checkpoint>> checkpoints = new TreeMap<>();
      for (CounterDelta d : b.deltas()) {
        deltas
            .computeIfAbsent(shards.indexOfEntity(d.key().entity()), i -> new ArrayList<>())
            .add(d);
      }
      for (Checkpoint cp : b.checkpoints()) {
        checkpoints
            .computeIfAbsent(shards.indexOfPartition(cp.partition()), i -> new ArrayList<>())
            .add(cp);
      }
      for (int i = 0; i < sinks.size(); i++) {
        List<CounterDelta> d = deltas.getOrDefault(i, List.of());
        List<Checkpoint> c = checkpoints.getOrDefault(i, List.of());
        if (!d.isEmpty() || !c.isEmpty()) {
          byShard.get(i).add(new DeltaBatch(d, c, b.source()));
        }
      }
    }
    for (int i = 0; i < sinks.size(); i++) {
      if (!byShard.get(i).isEmpty()) {
        sinks.get(i).writeAll(byShard.get(i));
      }
    }
  }

  @Override
  public void ownershipChanged(Collection<Integer> partitions) {
    // each shard's sink checks its cached Top-K slots against the locked positions
  }

  @Override
  public void sourceIdentity(UUID source) {
    for (PostgresDeltaSink s : sinks) {
      s.sourceIdentity(source);
    }
  }

  @Override
  public Optional<Checkpoint> checkpoint(int partition) {
    return sinks.get(shards.indexOfPartition(partition)).checkpoint(partition);
  }
}
