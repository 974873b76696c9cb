package io.tally.model;

import static java.util.Objects.requireNonNull;

/**
 * One entity of a Top-K answer. Its true number of events in the window lies in {@code [lowerBound,
 * upperBound]}; {@code estimate} is the upper bound (all three are equal when the answer is exact).
 */
public record TopKItem(String entity, long estimate, long lowerBound, long upperBound) {
  public TopKItem {
    requireNonNull(entity, "entity");
    if (lowerBound < 0 || lowerBound > estimate || estimate > upperBound) {
      throw new IllegalArgumentException(
          "bounds out of order: " + lowerBound + " ≤ " + estimate + " ≤ " + upperBound);
    }
  }
}
