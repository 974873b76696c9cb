package io.tally.core.log;

import io.tally.model.Event;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Events of one ingest request grouped by partition, ready to append. Immutable once built. */
public final class EventBatch {
  private final List<List<Event>> byPartition;
  private final int size;

  private EventBatch(List<List<Event>> byPartition, int size) {
    this.byPartition = byPartition;
    this.size = size;
  }

  /** Partitions this batch was built for. */
  public int partitions() {
    return byPartition.size();
  }

  /** The events for {@code partition}, in request order; possibly empty. */
  public List<Event> events(int partition) {
    return byPartition.get(partition);
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
    private final List<List<Event>> byPartition;
    private int size;

    private Builder(int partitions) {
      byPartition = new ArrayList<>(partitions);
      for (int p = 0; p < partitions; p++) {
        byPartition.add(new ArrayList<>());
      }
    }

    public Builder add(int partition, Event event) {
      byPartition.get(partition).add(event);
      size++;
      return this;
    }

    public int size() {
      return size;
    }

    public EventBatch build() {
      List<List<Event>> frozen = new ArrayList<>(byPartition.size());
      for (List<Event> events : byPartition) {
        frozen.add(Collections.unmodifiableList(events));
      }
      return new EventBatch(Collections.unmodifiableList(frozen), size);
    }
  }
}
