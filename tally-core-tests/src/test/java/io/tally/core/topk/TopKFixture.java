package io.tally.core.topk;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.partition.Partitioner;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.CounterStore;
import io.tally.core.store.QuorumLoss;
import io.tally.core.validate.EventValidator;
import io.tally.core.validate.ValidationLimits;
import io.tally.model.Granularity;
import io.tally.testkit.InMemoryCounterStore;
import io.tally.testkit.ManualClock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * P partitions of {@link TopKSlots} fed minute deltas the way a sink feeds them, the {@link
 * TopKService} over them, and the brute-force counts to check it against.
 */
final class TopKFixture {
  final TopKConfig config;
  final Partitioner partitioner;
  final TopKSlots[] slots;
  final ManualClock now;
  final TopKService service;

  /** Exact events per (type, entity, minute). */
  final Map<String, Map<String, Map<Long, Long>>> truth = new HashMap<>();

  TopKFixture(TopKConfig config, int partitions, long nowMillis) {
    this(config, partitions, nowMillis, DerivedEntities.NONE);
  }

  /** A fixture whose service ranks {@code derived}'s entities apart from plain ones. */
  TopKFixture(TopKConfig config, int partitions, long nowMillis, DerivedEntities derived) {
    this.config = config;
    this.partitioner = new Partitioner(partitions);
    this.slots = new TopKSlots[partitions];
    for (int p = 0; p < partitions; p++) {
      slots[p] = new TopKSlots(p, config);
    }
    this.now = new ManualClock(nowMillis);
    TopKStore store =
        (type, window, first) -> {
          List<org.apache.datasketches.frequencies.ItemsSketch<String>> out = new ArrayList<>();
          for (TopKSlots s : slots) {
            s.collect(type, window, first, out);
          }
          return out;
        };
    this.service =
        new TopKService(
            store,
            asOf(partitions, nowMillis),
            config,
            new EventValidator(ValidationLimits.DEFAULTS),
            now,
            partitions,
            QuorumLoss.STALE,
            derived);
  }

  /** A counter store that has applied every partition up to {@code millis}, and no rows. */
  private static CounterStore asOf(int partitions, long millis) {
    List<Checkpoint> checkpoints = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      checkpoints.add(new Checkpoint(p, 0, Long.MIN_VALUE, millis));
    }
    InMemoryCounterStore counters = new InMemoryCounterStore();
    counters.write(new DeltaBatch(List.of(), checkpoints));
    return counters;
  }

  /** Feeds one batch of minute deltas: each partition's update staged, then committed. */
  void feed(List<CounterDelta> deltas) {
    Map<Integer, TopKSlots.Update> updates = new HashMap<>();
    for (CounterDelta d : deltas) {
      int p = DerivedEntities.writerPartition(d.key().entity(), partitioner);
      updates.computeIfAbsent(p, q -> slots[q].update(now.millis())).add(d, TopKSlots.UNPOSITIONED);
      if (d.key().granularity() == Granularity.MINUTE) {
        truth
            .computeIfAbsent(d.key().type(), t -> new HashMap<>())
            .computeIfAbsent(DerivedEntities.baseName(d.key().entity()), e -> new HashMap<>())
            .merge(d.key().bucketStartMillis(), d.count(), Long::sum);
      }
    }
    updates
        .values()
        .forEach(
            u -> {
              u.changed();
              u.commit();
            });
  }

  /** The true count of every entity of {@code type} in the span the window covers now. */
  Map<String, Long> trueCounts(String type, TopKWindow window) {
    long first = window.firstSlotStart(now.millis());
    Map<String, Long> out = new HashMap<>();
    truth
        .getOrDefault(type, Map.of())
        .forEach(
            (entity, minutes) -> {
              long n =
                  minutes.entrySet().stream()
                      .filter(e -> e.getKey() >= first)
                      .mapToLong(Map.Entry::getValue)
                      .sum();
              if (n > 0) {
                out.put(entity, n);
              }
            });
    return out;
  }

  static CounterDelta minute(String entity, String type, long timeMillis, long count) {
    return new CounterDelta(
        new CounterKey(
            entity, type, Granularity.MINUTE, Granularity.MINUTE.bucketStart(timeMillis)),
        count,
        count);
  }

  /**
   * Zipf-distributed events over {@code entities} entities (rank r has weight 1/r^s), at random
   * times in {@code [fromMillis, toMillis)}, aggregated into minute deltas and cut into batches of
   * random size, the way flushes would.
   */
  static List<List<CounterDelta>> zipfBatches(
      Random random,
      int events,
      int entities,
      double s,
      String type,
      long fromMillis,
      long toMillis) {
    double[] cdf = new double[entities];
    double total = 0;
    for (int r = 0; r < entities; r++) {
      total += 1 / Math.pow(r + 1, s);
      cdf[r] = total;
    }
    List<List<CounterDelta>> batches = new ArrayList<>();
    int left = events;
    while (left > 0) {
      int n = Math.min(left, 1 + random.nextInt(Math.max(1, events / 3)));
      left -= n;
      Map<String, Long> agg = new HashMap<>();
      for (int i = 0; i < n; i++) {
        double u = random.nextDouble() * total;
        int lo = 0;
        int hi = entities - 1;
        while (lo < hi) {
          int mid = (lo + hi) >>> 1;
          if (cdf[mid] < u) {
            lo = mid + 1;
          } else {
            hi = mid;
          }
        }
        long t = fromMillis + (long) (random.nextDouble() * (toMillis - fromMillis));
        agg.merge("video:" + lo + "|" + Granularity.MINUTE.bucketStart(t), 1L, Long::sum);
      }
      List<CounterDelta> batch = new ArrayList<>();
      agg.forEach(
          (k, c) -> {
            int bar = k.indexOf('|');
            batch.add(minute(k.substring(0, bar), type, Long.parseLong(k.substring(bar + 1)), c));
          });
      batches.add(batch);
    }
    return batches;
  }
}
