package io.tally.core.topk;

import io.tally.core.store.ReadReport;
import java.util.List;
import org.apache.datasketches.frequencies.ItemsSketch;

/**
 * The read-only view of the Top-K slot sketches that queries see, implemented by each mode's store.
 * Thread-safe.
 */
public interface TopKStore {

  /**
   * The sketches of every partition for (type, window) of the slots starting at or after {@code
   * firstSlotStartMillis}. The caller only reads them (merging them into its own sketch).
   */
  List<ItemsSketch<String>> sketches(String type, TopKWindow window, long firstSlotStartMillis);

  /**
   * {@link #sketches(String, TopKWindow, long)}, stating in {@code report} the consistency it was
   * read at (see {@link io.tally.core.store.CounterStore#read(io.tally.core.aggregate.CounterKey,
   * ReadReport)}).
   */
  default List<ItemsSketch<String>> sketches(
      String type, TopKWindow window, long firstSlotStartMillis, ReadReport report) {
    return sketches(type, window, firstSlotStartMillis);
  }
}
