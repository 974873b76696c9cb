package io.tally.core.enrich;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.DeltaAggregator;
import io.tally.core.dedup.DedupWindow;
import io.tally.model.Event;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The per-event step both modes' processors share: drop a duplicate (same entity and id), else
 * count the event under its own entity and, when derivation is configured, under the shard (of the
 * event's partition) of each entity it derives — same type, time and value, so derived rows exist
 * in every granularity.
 *
 * <p>Attributes are read when the event is processed: a change applies to the events processed
 * after it. With no derivation configured no attribute is read.
 *
 * <p>Thread-safe (immutable but for its duplicate and forgotten-id counters); the aggregator and
 * dedup window passed in belong to the calling processor thread.
 */
public final class Enrichment {
  /** Counts every event under its own entity only. */
  public static final Enrichment NONE = new Enrichment(DerivedEntities.NONE, AttributeStore.EMPTY);

  private final DerivedEntities derived;
  private final AttributeStore attributes;
  private final LongAdder duplicates = new LongAdder();
  private final LongAdder forgottenEarly = new LongAdder();

  public Enrichment(DerivedEntities derived, AttributeStore attributes) {
    this.derived = requireNonNull(derived, "derived");
    this.attributes = requireNonNull(attributes, "attributes");
  }

  public DerivedEntities derived() {
    return derived;
  }

  /**
   * Counts {@code event}, read from partition {@code partition} at {@code appendTimeMillis}, unless
   * {@code dedup} has sighted its (entity, id) before.
   *
   * <p>The attributes are read first: if that fails, neither the window nor the aggregator has
   * changed, and the caller may retry the same record.
   *
   * @return whether the event was counted (false: a duplicate)
   * @throws io.tally.model.TallyException if the attributes cannot be read
   */
  public boolean count(
      DeltaAggregator aggregator,
      DedupWindow dedup,
      int partition,
      Event event,
      long appendTimeMillis) {
    List<String> rows = derivedRows(partition, event);
    if (event.id() != null) {
      long evicted = dedup.capacityEvictions();
      boolean first = dedup.firstSighting(event.entity(), event.id(), appendTimeMillis);
      if (dedup.capacityEvictions() != evicted) {
        forgottenEarly.increment();
      }
      if (!first) {
        duplicates.increment();
        return false;
      }
    }
    aggregator.add(event);
    for (int i = 0; i < rows.size(); i++) {
      aggregator.add(rows.get(i), event);
    }
    return true;
  }

  /**
   * Events dropped as duplicates since start, over every partition counted through this instance (a
   * counter for metrics; replays after a restart count again).
   */
  public long duplicatesDropped() {
    return duplicates.sum();
  }

  /**
   * Event ids forgotten before their window ended because a full window made room (see {@link
   * DedupWindow}): a re-send of one of those would be counted again. Non-zero means the window is
   * too small for the rate: raise {@code processor.dedup-capacity} or the heap.
   */
  public long idsForgottenEarly() {
    return forgottenEarly.sum();
  }

  /** The row entities ({@code name:value~partition}) {@code event} also counts under. */
  public List<String> derivedRows(int partition, Event event) {
    if (derived.isEmpty()) {
      return List.of();
    }
    List<String> to = derived.derive(event.entity(), attributes.attributes(event.entity()));
    if (to.isEmpty()) {
      return to;
    }
    String[] rows = new String[to.size()];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = DerivedEntities.shardName(to.get(i), partition);
    }
    return List.of(rows);
  }
}
