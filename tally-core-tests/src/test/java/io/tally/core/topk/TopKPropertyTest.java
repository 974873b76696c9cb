package io.tally.core.topk;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.enrich.DerivedEntities;
import io.tally.model.Granularity;
import io.tally.model.TopK;
import io.tally.model.TopKItem;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/**
 * Top-K against brute force on random Zipf-distributed data, fed per partition through {@link
 * TopKSlots} and merged by {@link TopKService}: exact where the sketches hold every entity, and
 * within the library's bounds where they cannot.
 */
class TopKPropertyTest {
  private static final long NOW = 1_780_000_000_000L + 17_345L; // not on a slot boundary
  private static final String TYPE = "view";

  private static TopKFixture feed(
      TopKConfig config,
      int partitions,
      long seed,
      int events,
      int entities,
      double zipf,
      TopKWindow window) {
    TopKFixture f = new TopKFixture(config, partitions, NOW);
    Random random = new Random(seed);
    // events from before the window too, so the slot cut is exercised
    long from = NOW - window.millis() - 3 * window.slotMillis();
    for (List<CounterDelta> batch :
        TopKFixture.zipfBatches(random, events, entities, zipf, TYPE, from, NOW)) {
      f.feed(batch);
    }
    return f;
  }

  private static List<Map.Entry<String, Long>> bruteTop(Map<String, Long> counts, int k) {
    return counts.entrySet().stream()
        .sorted(
            Map.Entry.<String, Long>comparingByValue()
                .reversed()
                .thenComparing(Map.Entry.comparingByKey()))
        .limit(k)
        .collect(Collectors.toList());
  }

  @Property(tries = 60)
  void answerIsTheExactTopKWhileEveryEntityFitsTheSketches(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 8) int partitions,
      @ForAll @IntRange(min = 1, max = 300) int entities,
      @ForAll @DoubleRange(min = 0.5, max = 2.0) double zipf,
      @ForAll @IntRange(min = 1, max = 50) int k,
      @ForAll @IntRange(min = 0, max = 2) int windowIndex) {
    TopKWindow window = TopKConfig.DEFAULTS.windows().get(windowIndex);
    TopKFixture f = feed(TopKConfig.DEFAULTS, partitions, seed, 3_000, entities, zipf, window);

    TopK top = f.service.top(TYPE, window.wireName(), Integer.toString(k));

    assertThat(top.exact()).isTrue();
    assertThat(top.maxError()).isZero();
    List<Map.Entry<String, Long>> expected = bruteTop(f.trueCounts(TYPE, window), k);
    assertThat(top.items())
        .extracting(TopKItem::entity)
        .containsExactlyElementsOf(expected.stream().map(Map.Entry::getKey).toList());
    for (int i = 0; i < expected.size(); i++) {
      TopKItem item = top.items().get(i);
      long count = expected.get(i).getValue();
      assertThat(List.of(item.estimate(), item.lowerBound(), item.upperBound()))
          .containsOnly(count);
    }
  }

  /**
   * Issue 19: a ranking is of one namespace. Plain {@code video:} and {@code clip:} entities and
   * derived {@code channel:} entities (written as per-partition shard rows) share the sketches;
   * each prefix's ranking equals brute force over the entities of that prefix, and no prefix ranks
   * the plain entities only.
   */
  @Property(tries = 40)
  void eachPrefixRanksExactlyItsOwnEntitiesAndDerivedOnesNeverMixIn(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 8) int partitions,
      @ForAll @IntRange(min = 3, max = 300) int entities,
      @ForAll @DoubleRange(min = 0.5, max = 2.0) double zipf,
      @ForAll @IntRange(min = 1, max = 50) int k) {
    TopKWindow window = TopKWindow.parse("1h");
    TopKFixture f =
        new TopKFixture(
            TopKConfig.DEFAULTS, partitions, NOW, DerivedEntities.of(List.of("channel")));
    Random random = new Random(seed);
    for (List<CounterDelta> batch :
        TopKFixture.zipfBatches(random, 3_000, entities, zipf, TYPE, NOW - window.millis(), NOW)) {
      f.feed(batch.stream().map(d -> renamed(d, partitions)).toList());
    }
    Map<String, Long> truth = f.trueCounts(TYPE, window);

    for (String prefix : new String[] {null, "video:", "clip:", "channel:", "video:1"}) {
      TopK top = f.service.top(TYPE, "1h", Integer.toString(k), prefix);
      Map<String, Long> ofPrefix = new HashMap<>();
      truth.forEach(
          (entity, n) -> {
            boolean derived = entity.startsWith("channel:");
            boolean wanted = prefix == null ? !derived : entity.startsWith(prefix);
            if (wanted) {
              ofPrefix.put(entity, n);
            }
          });
      List<Map.Entry<String, Long>> expected = bruteTop(ofPrefix, k);
      assertThat(top.exact()).isTrue();
      assertThat(top.items())
          .as("prefix %s", prefix)
          .extracting(TopKItem::entity)
          .containsExactlyElementsOf(expected.stream().map(Map.Entry::getKey).toList());
      assertThat(top.items())
          .extracting(TopKItem::estimate)
          .containsExactlyElementsOf(expected.stream().map(Map.Entry::getValue).toList());
    }
  }

  /**
   * Rank r's entity {@code video:r} becomes {@code video:r}, {@code clip:r} or the derived {@code
   * channel:cr}, whose counts arrive as the shard row of one source partition.
   */
  private static CounterDelta renamed(CounterDelta d, int partitions) {
    int rank = Integer.parseInt(d.key().entity().substring("video:".length()));
    String entity =
        switch (rank % 3) {
          case 0 -> "video:" + rank;
          case 1 -> "clip:" + rank;
          default ->
              DerivedEntities.shardName(
                  "channel:c" + rank,
                  (int) ((rank + d.key().bucketStartMillis() / 60_000) % partitions));
        };
    return new CounterDelta(
        new CounterKey(entity, TYPE, Granularity.MINUTE, d.key().bucketStartMillis()),
        d.count(),
        d.sum());
  }

  @Property(tries = 20)
  void exactPartitionsMergeExactlyBeyondOneSketchsCapacity(@ForAll long seed) {
    // 3,000 entities over 8 partitions: each partition's slots hold about 375 (< 0.75 × 1024)
    // while the whole is far beyond one sketch; entities never span partitions, so the merge is
    // exact
    TopKWindow window = TopKWindow.parse("1h");
    TopKFixture f = feed(TopKConfig.DEFAULTS, 8, seed, 20_000, 3_000, 0.8, window);

    TopK top = f.service.top(TYPE, "1h", "100");

    assertThat(top.exact()).isTrue();
    List<Map.Entry<String, Long>> expected = bruteTop(f.trueCounts(TYPE, window), 100);
    assertThat(top.items())
        .extracting(TopKItem::entity)
        .containsExactlyElementsOf(expected.stream().map(Map.Entry::getKey).toList());
  }

  @Property(tries = 60)
  void everyCountIsWithinTheStatedErrorAndNoHeavyHitterIsMissing(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 8) int partitions,
      @ForAll @IntRange(min = 2_000, max = 8_000) int entities,
      @ForAll @DoubleRange(min = 0.7, max = 1.5) double zipf,
      @ForAll @IntRange(min = 1, max = 50) int k,
      @ForAll @IntRange(min = 3, max = 6) int lgSketchSize,
      @ForAll @IntRange(min = 0, max = 2) int windowIndex) {
    TopKConfig config = new TopKConfig(TopKConfig.DEFAULTS.windows(), 1 << lgSketchSize);
    TopKWindow window = config.windows().get(windowIndex);
    TopKFixture f = feed(config, partitions, seed, 30_000, entities, zipf, window);

    TopK top = f.service.top(TYPE, window.wireName(), Integer.toString(k));
    Map<String, Long> truth = f.trueCounts(TYPE, window);

    assertThat(top.exact())
        .isFalse(); // small sketches and thousands of entities: really approximate
    assertThat(top.maxError()).isPositive();
    assertThat(top.items())
        .hasSizeLessThanOrEqualTo(k)
        .isSortedAccordingTo(Comparator.comparingLong(TopKItem::estimate).reversed());
    for (TopKItem item : top.items()) {
      long count = truth.getOrDefault(item.entity(), 0L);
      // the library's guarantee: lowerBound ≤ true ≤ upperBound = estimate ≤ lowerBound + maxError
      assertThat(item.lowerBound()).isLessThanOrEqualTo(count);
      assertThat(item.upperBound()).isGreaterThanOrEqualTo(count);
      assertThat(item.estimate()).isBetween(count, count + top.maxError());
      assertThat(item.upperBound() - item.lowerBound()).isLessThanOrEqualTo(top.maxError());
    }
    // whatever is left out has at most max(maxError, last listed estimate) events
    long bar =
        top.items().size() < k
            ? top.maxError()
            : Math.max(top.maxError(), top.items().get(top.items().size() - 1).estimate());
    Set<String> listed = top.items().stream().map(TopKItem::entity).collect(Collectors.toSet());
    truth.forEach(
        (entity, count) -> {
          if (count > bar) {
            assertThat(listed)
                .as("heavy hitter %s with %d events (bar %d)", entity, count, bar)
                .contains(entity);
          }
        });
  }
}
