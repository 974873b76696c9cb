package io.tally.core.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.uniques.ActorSketchBuilder;
import io.tally.core.uniques.UniquesConfig;
import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.model.Sums;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * {@link DeltaAggregator} against a plain model: a sorted map from row to count, sum and actors.
 * Events come in any time order over a few entities and types, span several minutes, hours and
 * days, carry actors and sums that overflow, and are drained at random points of one aggregator.
 */
class DeltaAggregatorModelTest {
  private static final long BASE = Instant.parse("2026-03-29T00:00:00Z").toEpochMilli();

  /** One step: add an event (under a derived entity when {@code as} is not null), or drain. */
  record Step(boolean drain, String as, Event event) {}

  @Provide
  Arbitrary<List<Step>> steps() {
    // short names; names that tie on the drain sort's prefix (its first 6 chars and length:
    // "video:…"); chars of 255 or more, which end the prefix; and lengths it does not hold
    return steps(
        Arbitraries.oneOf(
            Arbitraries.integers().between(0, 40).map(i -> i < 3 ? "v" + i : "video:" + i),
            Arbitraries.of(
                "vidéo:1",
                "vid\u00ffo:2",
                "vid\u00ffo:1",
                "vid\u0100o:1",
                "видео:1",
                "видео:2",
                "\u00ff",
                "\u0100",
                "a".repeat(40_000),
                "a".repeat(39_999) + "b",
                "b".repeat(32_767),
                "c".repeat(32_766))),
        "derived~1");
  }

  /**
   * Flushes whose entities all share a long start, which the drain's sort skips: names that are
   * prefixes of one another, names that differ only past the sort's prefix, chars of 255 or more
   * right after the shared start, and lengths the prefix does not hold.
   */
  @Provide
  Arbitrary<List<Step>> sharedStarts() {
    String start = "channel:42/video:";
    return steps(
        Arbitraries.oneOf(
            Arbitraries.integers().between(0, 40).map(i -> start + i),
            Arbitraries.integers().between(0, 5).map(i -> start + "1234567" + i),
            Arbitraries.of(
                start,
                start + "\u00ff",
                start + "\u00ff1",
                start + "\u0100",
                start + "видео",
                start + "a".repeat(32_760),
                start + "a".repeat(32_759) + "b")),
        start + "derived~1");
  }

  private static Arbitrary<List<Step>> steps(Arbitrary<String> entities, String derived) {
    Arbitrary<Long> times =
        Combinators.combine(
                Arbitraries.integers().between(-1, 2), // days
                Arbitraries.integers().between(0, 2), // hours
                Arbitraries.integers().between(0, 3), // minutes
                Arbitraries.integers().between(0, 59_999))
            .as((d, h, m, ms) -> BASE + d * 86_400_000L + h * 3_600_000L + m * 60_000L + ms);
    Arbitrary<Long> values =
        Arbitraries.oneOf(
            Arbitraries.longs().between(0, 10),
            Arbitraries.longs().between(Long.MAX_VALUE / 3, Long.MAX_VALUE / 2));
    Arbitrary<String> actors = Arbitraries.of("u1", "u2", "u3", "u4").injectNull(0.5);
    Arbitrary<Event> events =
        Combinators.combine(entities, Arbitraries.of("view", "like", "x"), times, values, actors)
            .as((e, t, time, v, a) -> new Event(null, e, t, time, v, a));
    Arbitrary<Step> add =
        Combinators.combine(events, Arbitraries.of(derived).injectNull(0.8))
            .as((e, as) -> new Step(false, as, e));
    return Arbitraries.frequencyOf(Tuple.of(30, add), Tuple.of(1, Arbitraries.just(DRAIN)))
        .list()
        .ofMaxSize(400);
  }

  private static final Step DRAIN = new Step(true, null, null);

  @Property(tries = 500)
  void drainsWhatThePlainModelDrains(@ForAll("steps") List<Step> steps) {
    drainsWhatTheModelDrains(steps);
  }

  @Property(tries = 300)
  void drainsWhatThePlainModelDrainsWhenEveryEntitySharesItsStart(
      @ForAll("sharedStarts") List<Step> steps) {
    drainsWhatTheModelDrains(steps);
  }

  private static void drainsWhatTheModelDrains(List<Step> steps) {
    DeltaAggregator agg = new DeltaAggregator();
    Model model = new Model();
    for (Step step : steps) {
      if (step.drain()) {
        assertThat(agg.drain()).isEqualTo(model.drain());
        assertThat(agg.rowCount()).isZero();
        continue;
      }
      // a fresh copy of the entity: equal strings need not be the same instance
      String entity = new String(step.as() != null ? step.as() : step.event().entity());
      if (step.as() != null) {
        agg.add(entity, step.event());
      } else {
        Event e = step.event();
        agg.add(new Event(e.id(), entity, e.type(), e.timeMillis(), e.value(), e.actor()));
      }
      model.add(entity, step.event());
      assertThat(agg.rowCount()).isEqualTo(model.rows.size());
    }
    assertThat(agg.drain()).isEqualTo(model.drain());
  }

  /** Rows in store key order, each with its count, sum and actors in the order they came. */
  private static final class Model {
    private static final Comparator<CounterKey> STORE_ORDER =
        Comparator.<CounterKey>comparingInt(k -> k.entity().length())
            .thenComparing(CounterKey::entity)
            .thenComparingInt(k -> k.type().length())
            .thenComparing(CounterKey::type)
            .thenComparing(CounterKey::granularity)
            .thenComparingLong(CounterKey::bucketStartMillis);

    final Map<CounterKey, Row> rows = new TreeMap<>(STORE_ORDER);

    void add(String entity, Event e) {
      for (Granularity g : Granularity.values()) {
        CounterKey key = new CounterKey(entity, e.type(), g, g.bucketStart(e.timeMillis()));
        Row row = rows.computeIfAbsent(key, k -> new Row());
        row.count++;
        row.sum = Sums.add(row.sum, e.value());
        if (e.actor() != null) {
          row.actors.add(e.actor());
        }
      }
    }

    List<CounterDelta> drain() {
      List<CounterDelta> out = new ArrayList<>();
      rows.forEach(
          (key, row) -> {
            ActorSketchBuilder sketch = null;
            for (String actor : row.actors) {
              if (sketch == null) {
                sketch = new ActorSketchBuilder(UniquesConfig.DEFAULTS);
              }
              sketch.add(actor);
            }
            out.add(
                new CounterDelta(key, row.count, row.sum, sketch == null ? null : sketch.build()));
          });
      rows.clear();
      return out;
    }
  }

  private static final class Row {
    long count;
    long sum;
    final List<String> actors = new ArrayList<>();
  }
}
