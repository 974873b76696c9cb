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

  @Test
  void onlyTheKeeperIsNotAnEntity() {
    assertThat(SlotSketches.isEntity(SlotSketches.KEEPS_ERROR)).isFalse();
    assertThat(SlotSketches.isEntity("video:1")).isTrue();
  }
}
