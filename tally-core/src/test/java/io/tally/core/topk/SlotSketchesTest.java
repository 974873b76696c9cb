package io.tally.core.topk;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.datasketches.frequencies.ErrorType;
import org.apache.datasketches.frequencies.ItemsSketch;
import org.junit.jupiter.api.Test;

/**
 * A slot sketch whose purge dropped every counter keeps its maximum error through the stores'
 * serialization and through the query's merge: the library alone serializes it as empty and merges
 * it as nothing (found by {@code TopKPropertyTest} with 8-entry sketches and 2,001 entities: an
 * upper bound 7 below the true count).
 */
class SlotSketchesTest {
  @Test
  void aSketchPurgedToNoCountersKeepsItsErrorThroughStorageAndMerge() {
    ItemsSketch<String> slot = new ItemsSketch<>(8);
    for (int i = 0; slot.getNumActiveItems() > 0 || i == 0; i++) {
      slot.update("video:" + i, 1); // distinct entities until a purge empties the map
    }
    long error = slot.getMaximumError();
    assertThat(error).isPositive();

    ItemsSketch<String> stored = SlotSketches.deserialize(SlotSketches.serialize(slot));
    ItemsSketch<String> merged = new ItemsSketch<>(8);
    merged.merge(stored);

    assertThat(stored.getMaximumError()).isEqualTo(error);
    assertThat(merged.getMaximumError()).isEqualTo(error);
    assertThat(merged.getUpperBound("video:0"))
        .as("an entity counted once")
        .isGreaterThanOrEqualTo(1);
    assertThat(merged.getFrequentItems(ErrorType.NO_FALSE_NEGATIVES))
        .extracting(ItemsSketch.Row::getItem)
        .allMatch(item -> !SlotSketches.isEntity(item) || item.startsWith("video:"));
  }

  /**
   * A copy answers and goes on counting exactly as the sketch read back from its bytes (what a
   * slot's copy was before): over sizes from 8 to 64 entries, Zipf-like and uniform streams that
   * purge many times, the keeper of an emptied sketch, then more updates on both.
   */
  @Test
  void aCopyIsTheSketchReadBackFromItsBytes() {
    java.util.Random random = new java.util.Random(7);
    for (int round = 0; round < 200; round++) {
      int size = 8 << random.nextInt(4);
      int entities = 1 + random.nextInt(round % 2 == 0 ? 40 : 2_000);
      ItemsSketch<String> slot = new ItemsSketch<>(size);
      feed(slot, random, entities, random.nextInt(3_000));
      SlotSketches.serialize(slot); // as when committed: an emptied sketch gets its keeper
      ItemsSketch<String> copy = SlotSketches.copy(slot);
      ItemsSketch<String> read = SlotSketches.deserialize(SlotSketches.serialize(slot));
      assertSameAnswers(copy, read);

      long seed = random.nextLong();
      feed(copy, new java.util.Random(seed), entities, 500);
      feed(read, new java.util.Random(seed), entities, 500);
      assertSameAnswers(copy, read);
      assertSameAnswers(
          SlotSketches.deserialize(SlotSketches.serialize(copy)),
          SlotSketches.deserialize(SlotSketches.serialize(read)));
    }
  }

  private static void feed(
      ItemsSketch<String> sketch, java.util.Random random, int entities, int updates) {
    for (int i = 0; i < updates; i++) {
      int e =
          random.nextBoolean()
              ? random.nextInt(entities)
              : (int) (entities * Math.pow(random.nextDouble(), 4));
      sketch.update("video:" + e, 1 + random.nextInt(3));
    }
  }

  private static void assertSameAnswers(ItemsSketch<String> a, ItemsSketch<String> b) {
    assertThat(a.getMaximumError()).isEqualTo(b.getMaximumError());
    assertThat(a.getStreamLength()).isEqualTo(b.getStreamLength());
    assertThat(a.getNumActiveItems()).isEqualTo(b.getNumActiveItems());
    assertThat(a.getMaximumMapCapacity()).isEqualTo(b.getMaximumMapCapacity());
    for (ErrorType t : ErrorType.values()) {
      assertThat(rows(a, t)).isEqualTo(rows(b, t));
    }
  }

  private static java.util.Set<String> rows(ItemsSketch<String> s, ErrorType t) {
    java.util.Set<String> out = new java.util.HashSet<>();
    for (ItemsSketch.Row<String> r : s.getFrequentItems(t)) {
      out.add(
          r.getItem() + "=" + r.getEstimate() + "/" + r.getLowerBound() + "/" + r.getUpperBound());
    }
    return out;
  }

  @Test
  void onlyTheKeeperIsNotAnEntity() {
    assertThat(SlotSketches.isEntity(SlotSketches.KEEPS_ERROR)).isFalse();
    assertThat(SlotSketches.isEntity("video:1")).isTrue();
  }

  @Test
  void aCorrectionAddsItsSignedCountsToAnExactSketch() {
    ItemsSketch<String> slot = new ItemsSketch<>(8);
    slot.update("video:1", 10);
    slot.update("video:2", 3);

    ItemsSketch<String> corrected =
        SlotSketches.corrected(
            slot, java.util.Map.of("video:1", -4L, "video:2", -3L, "video:3", 2L), 8);

    assertThat(SlotSketches.isExact(corrected)).isTrue();
    assertThat(SlotSketches.counts(corrected))
        .isEqualTo(java.util.Map.of("video:1", 6L, "video:3", 2L));
  }

  @Test
  void aSketchThatPurgedIsNotExactAndCannotBeCorrected() {
    ItemsSketch<String> slot = new ItemsSketch<>(8);
    for (int i = 0; i < 20; i++) {
      slot.update("video:" + i, 1 + i);
    }
    assertThat(SlotSketches.isExact(slot)).isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> SlotSketches.corrected(slot, java.util.Map.of("video:1", 1L), 8))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aPositionedCorrectionIsAppliedOnceAndKeepsLaterDeltas() {
    TopKConfig config = new TopKConfig(java.util.List.of(TopKWindow.parse("1h")), 8);
    long minute = 1_769_860_800_000L;
    TopKSlots slots = new TopKSlots(0, config);
    SlotKey key = new SlotKey("view", TopKWindow.parse("1h"), minute);
    io.tally.core.aggregate.CounterDelta delta =
        new io.tally.core.aggregate.CounterDelta(
            new io.tally.core.aggregate.CounterKey(
                "video:1", "view", io.tally.model.Granularity.MINUTE, minute),
            5,
            5);
    TopKSlots.Update u = slots.update(minute);
    u.add(delta, 10); // in the cut
    u.commit();
    u = slots.update(minute);
    u.add(delta, 11); // after the cut
    assertThat(u.correct(new SlotCorrection(key, java.util.Map.of("video:1", -2L)), 12)).isTrue();
    u.commit();
    u = slots.update(minute);
    assertThat(u.correct(new SlotCorrection(key, java.util.Map.of("video:1", -2L)), 12)).isTrue();
    u.commit(); // the replay changed nothing

    assertThat(SlotSketches.counts(slots.slot(key).sketch()))
        .isEqualTo(java.util.Map.of("video:1", 8L));
    assertThat(slots.slot(key).position()).isEqualTo(12);
  }
}
