package io.tally.core.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.DeltaAggregator;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.partition.Partitioner;
import io.tally.core.store.Checkpoint;
import io.tally.core.validate.EventValidator;
import io.tally.core.validate.ValidationLimits;
import io.tally.model.Bucket;
import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.model.Stats;
import io.tally.model.Uniques;
import io.tally.testkit.InMemoryCounterStore;
import io.tally.testkit.ManualClock;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code fn=uniques} against exact brute force: Zipf-distributed actors (universes of up to 1M
 * actors) on a few videos and the channel they derive, flushed in several deltas per row, read in
 * minute, hour, day and total and over whole ranges, plain and derived. The bounds are stated at 95
 * % confidence, so some misses are expected: the test asserts that at least 90 % of the estimates
 * that are not exact fall within their bounds (over every seed together), that there are enough of
 * them for that to mean something, and that exact answers are exact.
 */
class UniquesPropertyTest {
  private static final int P = 4;
  private static final long HOUR = 3_600_000L;
  private static final String[] VIDEOS = {"video:1", "video:2", "video:3"};
  private static final String CHANNEL = "channel:c1";
  private final ManualClock clock = ManualClock.at("2026-01-31T23:59:00Z");
  private final long start = Granularity.DAY.bucketStart(clock.millis());

  /** Counts of checks, by kind: within bounds, and how many. */
  private final Map<String, int[]> tally = new HashMap<>();

  @Test
  void everyEstimateIsWithinItsStatedBoundsAtTheStatedConfidence() {
    long[] seeds = {1, 2, 3, 4, 5, 6, 7, 8};
    int[] universes = {1_000, 30_000, 300_000, 1_000_000};
    for (int i = 0; i < seeds.length; i++) {
      run(seeds[i], universes[i % universes.length], 120_000 + 60_000 * (i % 3));
    }
    for (Map.Entry<String, int[]> e : new java.util.TreeMap<>(tally).entrySet()) {
      System.out.printf("uniques %-20s %d of %d%n", e.getKey(), e.getValue()[0], e.getValue()[1]);
    }
    int[] estimated = tally.getOrDefault("estimated within", new int[2]);
    assertThat(estimated[1]).as("estimation-mode checks").isGreaterThanOrEqualTo(100);
    assertThat((double) estimated[0] / estimated[1])
        .as("share of estimates within their 95 % bounds")
        .isGreaterThanOrEqualTo(0.90);
    int[] exact = tally.getOrDefault("exact equal", new int[2]);
    assertThat(exact[1]).as("exact-mode checks").isGreaterThanOrEqualTo(100);
    assertThat((double) exact[0] / exact[1])
        .as("exact answers that equal the truth")
        .isGreaterThan(0.99);
    for (String g : List.of("minute", "hour", "day", "total", "range")) {
      for (String kind : List.of("plain", "derived")) {
        assertThat(tally.get(g + " " + kind)).as(g + " " + kind + " checked").isNotNull();
      }
    }
  }

  private void run(long seed, int universe, int events) {
    Random random = new Random(seed);
    double[] cdf = zipf(universe, 0.9 + random.nextDouble() * 0.3);
    InMemoryCounterStore store = new InMemoryCounterStore();
    Partitioner partitioner = new Partitioner(P);
    QueryService queries =
        new QueryService(
            store,
            partitioner,
            new EventValidator(ValidationLimits.DEFAULTS),
            clock,
            QueryConfig.DEFAULTS.withMaxBuckets(2_000).withCache(0, 0),
            DerivedEntities.of(List.of("channel")));
    Map<String, Set<Integer>> truth = new HashMap<>(); // "entity|granularity|bucket" → actors
    DeltaAggregator aggregator = new DeltaAggregator();
    // events over 3 hours of the day: 180 minute, 3 hour, 1 day bucket and the total
    for (int n = 0; n < events; n++) {
      String video = VIDEOS[random.nextInt(VIDEOS.length)];
      int actor = sample(cdf, random);
      long time = start + 20 * HOUR + (long) (random.nextDouble() * 3 * HOUR);
      Event e = new Event(null, video, "view", time, 1, "user-" + actor);
      aggregator.add(e);
      aggregator.add(DerivedEntities.shardName(CHANNEL, partitioner.partition(video)), e);
      for (String entity : List.of(video, CHANNEL)) {
        for (Granularity g : Granularity.values()) {
          truth
              .computeIfAbsent(entity + "|" + g + "|" + g.bucketStart(time), k -> new HashSet<>())
              .add(actor);
        }
      }
      if (random.nextInt(20_000) == 0 || n == events - 1) { // several deltas per row
        store.write(new DeltaBatch(aggregator.drain(), List.of()));
      }
    }
    for (int p = 0; p < P; p++) {
      store.write(new DeltaBatch(List.of(), List.of(new Checkpoint(p, 1, 0, clock.millis()))));
    }
    for (String entity : List.of(VIDEOS[0], VIDEOS[1], CHANNEL)) {
      String kind = entity.equals(CHANNEL) ? "derived" : "plain";
      check(
          "total " + kind,
          queries.total(entity, "view", "uniques").uniques(),
          truth.get(entity + "|TOTAL|0").size());
      for (Granularity g : Granularity.TIMED) {
        Stats s =
            queries.stats(
                entity,
                "view",
                "uniques",
                Long.toString(start),
                Long.toString(start + 24 * HOUR),
                g.wireName());
        Set<Integer> all = new HashSet<>();
        for (Bucket b : s.buckets()) {
          Set<Integer> actors = truth.get(entity + "|" + g + "|" + b.startMillis());
          all.addAll(actors);
          check(g.wireName() + " " + kind, b.uniques(), actors.size());
        }
        assertThat(s.buckets())
            .hasSize(g == Granularity.MINUTE ? 180 : g == Granularity.HOUR ? 3 : 1);
        check("range " + kind, s.rangeUniques(), all.size());
      }
    }
  }

  private void check(String what, Uniques u, int truth) {
    boolean within = u.lowerBound() <= truth && truth <= u.upperBound();
    count(what, within);
    if (u.exact()) {
      count("exact equal", u.estimate() == truth);
    } else {
      count("estimated within", within);
    }
  }

  private void count(String what, boolean ok) {
    int[] c = tally.computeIfAbsent(what, k -> new int[2]);
    c[0] += ok ? 1 : 0;
    c[1]++;
  }

  private static double[] zipf(int n, double s) {
    double[] cdf = new double[n];
    double total = 0;
    for (int k = 0; k < n; k++) {
      total += 1 / Math.pow(k + 1, s);
      cdf[k] = total;
    }
    for (int k = 0; k < n; k++) {
      cdf[k] /= total;
    }
    return cdf;
  }

  private static int sample(double[] cdf, Random random) {
    int i = Arrays.binarySearch(cdf, random.nextDouble());
    return Math.min(cdf.length - 1, i >= 0 ? i : -i - 1);
  }
}
