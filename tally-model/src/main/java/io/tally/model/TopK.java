package io.tally.model;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A Top-K answer: the entities with the most events of {@code type} in a sliding window, most first
 * (ties by entity name).
 *
 * @param window the window's name, e.g. {@code 1h}
 * @param k how many entities were asked for; {@code items} has at most this many
 * @param exact true when every count is exact and the list is the true top k
 * @param maxError the largest amount by which any item's estimate may exceed its true count, and
 *     the most events an entity that is not listed can have beyond the last listed estimate (0 when
 *     exact)
 * @param fromMillis start of the oldest slot merged: the answer counts events from here to now, at
 *     least the window and less than one slot more
 * @param asOfMillis every event appended to the log before this time is counted
 * @param consistency how many replicas stood behind it; null when not stated (embedded mode)
 */
public record TopK(
    String type,
    String window,
    int k,
    boolean exact,
    long maxError,
    long fromMillis,
    long asOfMillis,
    List<TopKItem> items,
    Consistency consistency) {
  public TopK {
    requireNonNull(type, "type");
    requireNonNull(window, "window");
    items = List.copyOf(items);
  }

  /** An answer that states no consistency. */
  public TopK(
      String type,
      String window,
      int k,
      boolean exact,
      long maxError,
      long fromMillis,
      long asOfMillis,
      List<TopKItem> items) {
    this(type, window, k, exact, maxError, fromMillis, asOfMillis, items, null);
  }
}
