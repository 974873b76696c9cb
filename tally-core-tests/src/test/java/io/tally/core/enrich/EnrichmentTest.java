package io.tally.core.enrich;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaAggregator;
import io.tally.core.dedup.DedupWindow;
import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.model.TallyException;
import io.tally.testkit.InMemoryAttributeStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnrichmentTest {
  private static final long T = 1_769_860_800_000L; // 2026-01-31T12:00:00Z
  private final InMemoryAttributeStore attributes = new InMemoryAttributeStore();
  private final Enrichment enrichment =
      new Enrichment(DerivedEntities.of(List.of("channel", "category")), attributes);
  private final DeltaAggregator aggregator = new DeltaAggregator();
  private final DedupWindow dedup = new DedupWindow(60_000, 1_000);

  private Map<CounterKey, long[]> drain() {
    Map<CounterKey, long[]> rows = new HashMap<>();
    for (CounterDelta d : aggregator.drain()) {
      rows.put(d.key(), new long[] {d.count(), d.sum()});
    }
    return rows;
  }

  @Test
  void countsAnEventUnderItsEntityAndTheShardOfEachDerivedEntityInEveryGranularity() {
    attributes.put("video:42", Map.of("channel", "c1", "category", "music", "language", "en"));
    assertThat(enrichment.count(aggregator, dedup, 5, new Event("e1", "video:42", "view", T, 3), T))
        .isTrue();
    Map<CounterKey, long[]> rows = drain();
    for (String entity : List.of("video:42", "channel:c1~5", "category:music~5")) {
      assertThat(rows.get(CounterKey.total(entity, "view"))).as(entity).containsExactly(1, 3);
      for (Granularity g : Granularity.TIMED) {
        assertThat(rows.get(new CounterKey(entity, "view", g, g.bucketStart(T))))
            .as(entity + " " + g)
            .containsExactly(1, 3);
      }
    }
    assertThat(rows).hasSize(3 * 4);
  }

  @Test
  void aDuplicateCountsNowhere() {
    attributes.put("video:42", Map.of("channel", "c1"));
    Event e = new Event("e1", "video:42", "view", T, 1);
    assertThat(enrichment.count(aggregator, dedup, 0, e, T)).isTrue();
    assertThat(enrichment.count(aggregator, dedup, 0, e, T + 1)).isFalse();
    assertThat(drain().get(CounterKey.total("channel:c1~0", "view"))).containsExactly(1, 1);
  }

  @Test
  void anIdAFullWindowForgetsEarlyIsCountedAsForgotten() {
    DedupWindow small = new DedupWindow(60_000, 2);
    for (String id : List.of("a", "b", "c", "d")) {
      assertThat(enrichment.count(aggregator, small, 0, new Event(id, "video:1", "view", T, 1), T))
          .isTrue();
    }
    assertThat(enrichment.idsForgottenEarly()).isEqualTo(2); // a and b, well inside the minute
    // and a re-send of a forgotten id is counted again: what the metric warns about
    assertThat(enrichment.count(aggregator, small, 0, new Event("a", "video:1", "view", T, 1), T))
        .isTrue();
    assertThat(enrichment.duplicatesDropped()).isZero();
  }

  @Test
  void anEntityWithoutConfiguredAttributesCountsOnlyForItself() {
    attributes.put("video:7", Map.of("language", "en"));
    enrichment.count(aggregator, dedup, 0, Event.of("video:7", "view", T), T);
    enrichment.count(aggregator, dedup, 0, Event.of("video:8", "view", T), T);
    assertThat(drain().keySet()).extracting(CounterKey::entity).containsOnly("video:7", "video:8");
  }

  @Test
  void aFailedAttributeReadChangesNeitherTheWindowNorTheAggregator() {
    Enrichment failing =
        new Enrichment(
            DerivedEntities.of(List.of("channel")),
            entity -> {
              throw new TallyException("disk gone");
            });
    Event e = new Event("e1", "video:42", "view", T, 1);
    assertThatThrownBy(() -> failing.count(aggregator, dedup, 0, e, T)).hasMessage("disk gone");
    assertThat(aggregator.rowCount()).isZero();
    attributes.put("video:42", Map.of("channel", "c1"));
    assertThat(enrichment.count(aggregator, dedup, 0, e, T))
        .as("the retry is a first sighting")
        .isTrue();
    assertThat(drain().get(CounterKey.total("channel:c1~0", "view"))).containsExactly(1, 1);
  }

  @Test
  void readsNoAttributesWithoutDerivation() {
    Enrichment none = new Enrichment(DerivedEntities.NONE, attributes);
    none.count(aggregator, dedup, 0, Event.of("video:1", "view", T), T);
    assertThat(attributes.reads()).isZero();
    assertThat(Enrichment.NONE.derivedRows(0, Event.of("video:1", "view", T))).isEmpty();
  }

  @Test
  void anAttributeChangeAppliesToEventsCountedAfterIt() {
    attributes.put("video:42", Map.of("channel", "c1"));
    enrichment.count(aggregator, dedup, 2, Event.of("video:42", "view", T), T);
    attributes.put("video:42", Map.of("channel", "c2"));
    enrichment.count(aggregator, dedup, 2, Event.of("video:42", "view", T), T);
    Map<CounterKey, long[]> rows = drain();
    assertThat(rows.get(CounterKey.total("channel:c1~2", "view"))).containsExactly(1, 1);
    assertThat(rows.get(CounterKey.total("channel:c2~2", "view"))).containsExactly(1, 1);
    assertThat(rows.get(CounterKey.total("video:42", "view"))).containsExactly(2, 2);
  }
}
