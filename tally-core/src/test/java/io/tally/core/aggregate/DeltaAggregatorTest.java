package io.tally.core.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.model.Sums;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class DeltaAggregatorTest {
  private static final long MAX_VALUE = 1_000_000_000_000L; // ValidationLimits.DEFAULTS.maxValue

  private static long at(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }

  private static Map<CounterKey, CounterDelta> byKey(List<CounterDelta> deltas) {
    Map<CounterKey, CounterDelta> map = new HashMap<>();
    for (CounterDelta d : deltas) {
      assertThat(map.put(d.key(), d)).as("one delta per row").isNull();
    }
    return map;
  }

  @Example
  void oneEventYieldsTotalMinuteHourAndDayDeltas() {
    DeltaAggregator agg = new DeltaAggregator();
    agg.add(new Event("x", "video:1", "view", at("2026-03-29T01:02:03.456Z"), 7));

    assertThat(agg.rowCount()).isEqualTo(4);
    assertThat(agg.drain())
        .containsExactlyInAnyOrder(
            new CounterDelta(CounterKey.total("video:1", "view"), 1, 7),
            new CounterDelta(
                new CounterKey("video:1", "view", Granularity.MINUTE, at("2026-03-29T01:02:00Z")),
                1,
                7),
            new CounterDelta(
                new CounterKey("video:1", "view", Granularity.HOUR, at("2026-03-29T01:00:00Z")),
                1,
                7),
            new CounterDelta(
                new CounterKey("video:1", "view", Granularity.DAY, at("2026-03-29T00:00:00Z")),
                1,
                7));
  }

  @Example
  void countsAndSumsAccumulatePerRow() {
    DeltaAggregator agg = new DeltaAggregator();
    agg.add(Event.of("video:1", "view", at("2026-03-29T10:00:05Z")));
    agg.add(new Event(null, "video:1", "view", at("2026-03-29T10:00:55Z"), 4));
    agg.add(new Event(null, "video:1", "view", at("2026-03-29T10:01:00Z"), 10));
    agg.add(Event.of("video:1", "like", at("2026-03-29T10:00:00Z")));

    String v = "video:1";
    assertThat(agg.drain())
        .containsExactlyInAnyOrder(
            new CounterDelta(CounterKey.total(v, "view"), 3, 15),
            new CounterDelta(minute(v, "view", "2026-03-29T10:00:00Z"), 2, 5),
            new CounterDelta(minute(v, "view", "2026-03-29T10:01:00Z"), 1, 10),
            new CounterDelta(
                new CounterKey(v, "view", Granularity.HOUR, at("2026-03-29T10:00:00Z")), 3, 15),
            new CounterDelta(
                new CounterKey(v, "view", Granularity.DAY, at("2026-03-29T00:00:00Z")), 3, 15),
            new CounterDelta(CounterKey.total(v, "like"), 1, 1),
            new CounterDelta(minute(v, "like", "2026-03-29T10:00:00Z"), 1, 1),
            new CounterDelta(
                new CounterKey(v, "like", Granularity.HOUR, at("2026-03-29T10:00:00Z")), 1, 1),
            new CounterDelta(
                new CounterKey(v, "like", Granularity.DAY, at("2026-03-29T00:00:00Z")), 1, 1));
  }

  private static CounterKey minute(String entity, String type, String iso) {
    return new CounterKey(entity, type, Granularity.MINUTE, at(iso));
  }

  @Example
  void eventsOfDifferentEntitiesOrTypesNeverShareARow() {
    DeltaAggregator agg = new DeltaAggregator();
    long t = at("2026-03-29T10:00:00Z");
    agg.add(Event.of("a", "view", t));
    agg.add(Event.of("b", "view", t));
    agg.add(Event.of("a", "like", t));
    assertThat(agg.rowCount()).isEqualTo(12);
    assertThat(agg.drain()).allSatisfy(d -> assertThat(d.count()).isEqualTo(1));
  }

  @Example
  void aZeroValueIsCountedButAddsNothingToTheSum() {
    DeltaAggregator agg = new DeltaAggregator();
    agg.add(new Event(null, "a", "view", 0, 0));
    assertThat(agg.drain())
        .allSatisfy(
            d -> {
              assertThat(d.count()).isEqualTo(1);
              assertThat(d.sum()).isZero();
            });
  }

  @Example
  void eventsBefore1970GoToThe1969Buckets() {
    DeltaAggregator agg = new DeltaAggregator();
    agg.add(Event.of("a", "view", -1));
    assertThat(byKey(agg.drain()))
        .containsKey(new CounterKey("a", "view", Granularity.MINUTE, at("1969-12-31T23:59:00Z")))
        .containsKey(new CounterKey("a", "view", Granularity.DAY, at("1969-12-31T00:00:00Z")));
  }

  @Example
  void drainEmptiesTheAggregator() {
    DeltaAggregator agg = new DeltaAggregator();
    agg.add(Event.of("a", "view", 0));
    assertThat(agg.drain()).hasSize(4);
    assertThat(agg.rowCount()).isZero();
    assertThat(agg.drain()).isEmpty();

    agg.add(Event.of("a", "view", 0));
    assertThat(agg.drain()).allSatisfy(d -> assertThat(d.count()).isEqualTo(1));
  }

  @Example
  void aDrainedListIsNotChangedByLaterEvents() {
    DeltaAggregator agg = new DeltaAggregator();
    agg.add(Event.of("a", "view", 0));
    List<CounterDelta> first = agg.drain();
    List<CounterDelta> copy = List.copyOf(first);
    agg.add(Event.of("a", "view", 0));
    assertThat(first).isEqualTo(copy);
  }

  @Example
  void aFlushWhoseSumPassesTheLargestLongSaysItOverflowedInsteadOfWrapping() {
    // issue 20 item 4: 9.3M events of the largest value on one entity, here in a single flush
    DeltaAggregator agg = new DeltaAggregator();
    Event e = new Event(null, "acct:1", "bytes", at("2026-03-29T01:02:03Z"), MAX_VALUE);
    for (int i = 0; i < 9_300_000; i++) {
      agg.add(e);
    }
    agg.add(new Event(null, "acct:2", "bytes", at("2026-03-29T01:02:03Z"), MAX_VALUE));
    for (CounterDelta d : agg.drain()) {
      if (d.key().entity().equals("acct:1")) {
        assertThat(d.count()).isEqualTo(9_300_000);
        assertThat(d.sum()).as("%s", d.key()).isEqualTo(Sums.OVERFLOW);
      } else {
        assertThat(d.sum()).isEqualTo(MAX_VALUE);
      }
    }
  }

  // --- properties -----------------------------------------------------------------------------

  @Provide
  Arbitrary<List<Event>> events() {
    Arbitrary<Event> event =
        Combinators.combine(
                Arbitraries.of("video:1", "video:2", "user:a"),
                Arbitraries.of("view", "like"),
                Arbitraries.longs().between(at("2026-01-01T00:00:00Z"), at("2026-01-04T00:00:00Z")),
                Arbitraries.longs().between(0, MAX_VALUE))
            .as((entity, type, time, value) -> new Event(null, entity, type, time, value));
    return event.list().ofMaxSize(200);
  }

  @Property(tries = 300)
  void drainedDeltasOfEachGranularityAddUpToTheEventsAdded(
      @ForAll("events") List<Event> events, @ForAll @IntRange(min = 1, max = 50) int drainEvery) {
    DeltaAggregator agg = new DeltaAggregator();
    List<CounterDelta> drained = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      agg.add(events.get(i));
      if ((i + 1) % drainEvery == 0) {
        drained.addAll(agg.drain());
      }
    }
    drained.addAll(agg.drain());

    long count = events.size();
    long sum = events.stream().mapToLong(Event::value).sum();
    for (Granularity g : Granularity.values()) {
      List<CounterDelta> ofG = drained.stream().filter(d -> d.key().granularity() == g).toList();
      assertThat(ofG.stream().mapToLong(CounterDelta::count).sum())
          .as("count of %s", g)
          .isEqualTo(count);
      assertThat(ofG.stream().mapToLong(CounterDelta::sum).sum()).as("sum of %s", g).isEqualTo(sum);
    }
  }

  @Property(tries = 300)
  void eachEventLandsInTheBucketsOfItsTime(@ForAll("events") List<Event> events) {
    DeltaAggregator agg = new DeltaAggregator();
    events.forEach(agg::add);
    Map<CounterKey, CounterDelta> d = byKey(agg.drain());

    Map<CounterKey, long[]> expected = new HashMap<>();
    for (Event e : events) {
      List<CounterKey> keys = new ArrayList<>();
      keys.add(CounterKey.total(e.entity(), e.type()));
      for (Granularity g : Granularity.TIMED) {
        keys.add(new CounterKey(e.entity(), e.type(), g, g.bucketStart(e.timeMillis())));
      }
      for (CounterKey k : keys) {
        long[] cell = expected.computeIfAbsent(k, x -> new long[2]);
        cell[0]++;
        cell[1] += e.value();
      }
    }
    assertThat(d.keySet()).isEqualTo(new HashSet<>(expected.keySet()));
    expected.forEach(
        (k, cell) -> {
          assertThat(d.get(k).count()).isEqualTo(cell[0]);
          assertThat(d.get(k).sum()).isEqualTo(cell[1]);
        });
  }

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.oneOf(
        Arbitraries.strings().withCharRange('a', 'c').ofMaxLength(9),
        Arbitraries.strings().withCharRange('\u00fd', '\u0101').ofMaxLength(9),
        Arbitraries.strings().all().ofMaxLength(9),
        Arbitraries.integers().between(32_765, 32_769).map("x"::repeat));
  }

  @Property(tries = 3000)
  void theDrainSortsPrefixNeverContradictsTheStoreOrder(
      @ForAll("names") String shared,
      @ForAll("names") String a,
      @ForAll("names") String b,
      @ForAll @IntRange(max = 8) int skip) {
    // a and b share at least the first `skip` chars of `shared` (all of them when it is shorter)
    int n = Math.min(skip, shared.length());
    String x = shared.substring(0, n) + a;
    String y = shared.substring(0, n) + b;
    int byPrefix = Long.compare(DeltaAggregator.sortPrefix(x, n), DeltaAggregator.sortPrefix(y, n));
    int byStore = Integer.compare(x.length(), y.length());
    if (byStore == 0) {
      byStore = x.compareTo(y);
    }
    if (byPrefix != 0) {
      assertThat(Integer.signum(byStore)).as("%s vs %s after %d", x, y, n).isEqualTo(byPrefix);
    }
  }
}
