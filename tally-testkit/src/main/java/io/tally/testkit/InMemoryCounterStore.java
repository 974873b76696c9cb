package io.tally.testkit;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.CounterStore;
import io.tally.core.store.DeltaSink;
import io.tally.core.store.ReadReport;
import io.tally.core.uniques.ActorSketch;
import io.tally.model.Bucket;
import io.tally.model.Granularity;
import io.tally.model.Sums;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * Counter rows, their actor sketches and checkpoints in memory, written atomically per batch. It
 * counts the range reads it answers ({@link #rangeReads()}), so a test can check that a refused
 * query never reached the store. Thread-safe.
 */
public final class InMemoryCounterStore implements CounterStore, DeltaSink {
  private final Map<CounterKey, long[]> rows = new HashMap<>();
  private final Map<CounterKey, ActorSketch> actors = new HashMap<>();
  private final Map<Integer, Checkpoint> checkpoints = new HashMap<>();
  private long rangeReads;

  @Override
  public synchronized void write(DeltaBatch batch) {
    for (CounterDelta d : batch.deltas()) {
      long[] cell = rows.computeIfAbsent(d.key(), k -> new long[2]);
      cell[0] += d.count();
      cell[1] = Sums.add(cell[1], d.sum());
      if (d.actors() != null) {
        actors.put(d.key(), ActorSketch.merge(actors.get(d.key()), d.actors()));
      }
    }
    for (Checkpoint cp : batch.checkpoints()) {
      checkpoints.put(cp.partition(), cp);
    }
  }

  @Override
  public synchronized Optional<Checkpoint> checkpoint(int partition) {
    return Optional.ofNullable(checkpoints.get(partition));
  }

  @Override
  public synchronized Bucket read(CounterKey key) {
    long[] cell = rows.getOrDefault(key, new long[2]);
    return new Bucket(key.bucketStartMillis(), cell[0], cell[1]);
  }

  @Override
  public synchronized List<Bucket> range(
      String entity, String type, Granularity granularity, long fromMillis, long toMillis) {
    rangeReads++;
    TreeMap<Long, Bucket> sorted = new TreeMap<>();
    rows.forEach(
        (k, v) -> {
          if (k.entity().equals(entity)
              && k.type().equals(type)
              && k.granularity() == granularity
              && k.bucketStartMillis() >= fromMillis
              && k.bucketStartMillis() < toMillis) {
            sorted.put(k.bucketStartMillis(), new Bucket(k.bucketStartMillis(), v[0], v[1]));
          }
        });
    return new ArrayList<>(sorted.values());
  }

  @Override
  public synchronized ActorSketch actors(CounterKey key, ReadReport report) {
    return actors.get(key);
  }

  @Override
  public synchronized NavigableMap<Long, ActorSketch> actorsRange(
      String entity,
      String type,
      Granularity granularity,
      long fromMillis,
      long toMillis,
      ReadReport report) {
    TreeMap<Long, ActorSketch> sorted = new TreeMap<>();
    actors.forEach(
        (k, v) -> {
          if (k.entity().equals(entity)
              && k.type().equals(type)
              && k.granularity() == granularity
              && k.bucketStartMillis() >= fromMillis
              && k.bucketStartMillis() < toMillis) {
            sorted.put(k.bucketStartMillis(), v);
          }
        });
    return sorted;
  }

  @Override
  public synchronized OptionalLong asOfMillis(int partition) {
    Checkpoint cp = checkpoints.get(partition);
    return cp == null ? OptionalLong.empty() : OptionalLong.of(cp.asOfMillis());
  }

  /** How many times {@link #range(String, String, Granularity, long, long)} was called. */
  public synchronized long rangeReads() {
    return rangeReads;
  }
}
