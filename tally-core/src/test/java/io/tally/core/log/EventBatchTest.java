package io.tally.core.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.model.Event;
import org.junit.jupiter.api.Test;

class EventBatchTest {
  private static Event event(String id) {
    return new Event(id, "video:1", "view", 1_000L, 1);
  }

  @Test
  void eventsAreGroupedByPartitionInRequestOrderAndOtherPartitionsAreEmpty() {
    EventBatch batch =
        EventBatch.builder(4).add(2, event("a")).add(0, event("b")).add(2, event("c")).build();

    assertThat(batch.partitions()).isEqualTo(4);
    assertThat(batch.size()).isEqualTo(3);
    assertThat(batch.events(2)).extracting(Event::id).containsExactly("a", "c");
    assertThat(batch.events(0)).extracting(Event::id).containsExactly("b");
    assertThat(batch.events(1)).isEmpty();
    assertThat(batch.events(3)).isEmpty();
  }

  @Test
  void aBuiltBatchCannotBeChangedThroughItsLists() {
    EventBatch batch = EventBatch.builder(2).add(1, event("a")).build();

    assertThatThrownBy(() -> batch.events(1).add(event("b")))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> batch.events(0).add(event("b")))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void aPartitionOutsideTheBatchIsRefused() {
    EventBatch.Builder builder = EventBatch.builder(2);

    assertThatThrownBy(() -> builder.add(2, event("a")))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> builder.build().events(-1))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }
}
