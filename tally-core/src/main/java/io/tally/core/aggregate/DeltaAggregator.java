package io.tally.core.aggregate;

import io.tally.model.Event;
import io.tally.model.Granularity;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Accumulates the count and sum deltas of events for the minute, hour, day and total rows they
 * fall in, until {@link #drain() drained} into an immutable list.
 *
 * <p>Not thread-safe: owned by one processor thread; only the drained list crosses threads.
 */
public final class DeltaAggregator {
  private Map<CounterKey, long[]> rows = new HashMap<>();

  /** Adds {@code event} to its four rows. */
  public void add(Event event) {
    addTo(CounterKey.total(event.entity(), event.type()), event.value());
    for (Granularity g : Granularity.TIMED) {
      addTo(new CounterKey(event.entity(), event.type(), g, g.bucketStart(event.timeMillis())), event.value());
    }
  }

  private void addTo(CounterKey key, long value) {
    long[] cell = rows.get(key);
    if (cell == null) {
      cell = new long[2];
      rows.put(key, cell);
    }
    cell[0]++;
    cell[1] += value; // values ≤ ValidationLimits.maxValue: a flush cannot overflow
  }

  /** Rows with pending deltas. */
  public int rowCount() {
    return rows.size();
  }

  /** Returns the pending deltas and starts empty. */
  public List<CounterDelta> drain() {
    List<CounterDelta> out = new ArrayList<>(rows.size());
    for (Map.Entry<CounterKey, long[]> e : rows.entrySet()) {
      out.add(new CounterDelta(e.getKey(), e.getValue()[0], e.getValue()[1]));
    }
    rows = new HashMap<>();
    return out;
  }
}
