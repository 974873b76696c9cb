package io.tally.core.log;

import io.tally.model.Event;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Events of one ingest request grouped by partition, ready to append. Immutable once built.
 *
 * <p>A partition's list is made only when an event goes to it: a request of one event (the common
 * case at one event per request) allocates one list, not one per partition.
 */
public final class EventBatch {
  private final List<Event>[] byPartition;
  private final int size;

  private EventBatch(List<Event>[] byPartition, int size) {
    this.byPartition = byPartition;
    this.size = size;
  }

  /** Partitions this batch was built for. */
  public int partitions() {
    return byPartition.length;
  }

  /** The events for {@code partition}, in request order; possibly empty. */
  public List<Event> events(int partition) {
    List<Event> events = byPartition[Objects.checkIndex(partition, byPartition.length)];
    return events == null ? List.of() : events;
  }

  /** Total number of events. */
  public int size() {
    return size;
  }

  public static Builder builder(int partitions) {
    return new Builder(partitions);
  }

  /** Not thread-safe. */
  public static final class Builder {
    private final ArrayList<Event>[] byPartition;
    private int size;

    @SuppressWarnings("unchecked")
    private Builder(int partitions) {
      byPartition = (ArrayList<Event>[]) new ArrayList<?>[partitions];
    }

    public Builder add(int partition, Event event) {
      ArrayList<Event> events = byPartition[Objects.checkIndex(partition, byPartition.length)];
      if (events == null) {
        events = byPartition[partition] = new ArrayList<>();
      }
      events.add(event);
      size++;
      return this;
    }

    public int size() {
      return size;
    }

    @SuppressWarnings("unchecked")
    public EventBatch build() {
      List<Event>[] frozen = (List<Event>[]) new List<?>[byPartition.length];
      for (int p = 0; p < frozen.length; p++) {
        if (byPartition[p] != null) {
          frozen[p] = Collections.unmodifiableList(byPartition[p]);
        }
      }
      return new EventBatch(frozen, size);
    }
  }
}
