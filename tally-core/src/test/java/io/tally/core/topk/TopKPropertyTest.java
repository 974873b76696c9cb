package io.tally.core.topk;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.CounterDelta;
import io.tally.model.TopK;
import io.tally.model.TopKItem;
import java.util.Comparator;
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
