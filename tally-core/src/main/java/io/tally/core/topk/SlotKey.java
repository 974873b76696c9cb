package io.tally.core.topk;

import static java.util.Objects.requireNonNull;

/**
 * Names one slot sketch of a partition: the events of {@code type} in the slot of {@code window}
 * that starts at {@code slotStartMillis}.
 */
public record SlotKey(String type, TopKWindow window, long slotStartMillis) {
  public SlotKey {
    requireNonNull(type, "type");
    requireNonNull(window, "window");
    if (window.slotStart(slotStartMillis) != slotStartMillis) {
      throw new IllegalArgumentException(
          slotStartMillis + " is not the start of a slot of window " + window);
    }
  }

  /** When this slot leaves its window, so can be dropped. */
  public long expiresAtMillis() {
    return window.expiresAtMillis(slotStartMillis);
  }
}
