package io.tally.core.aggregate;

import static java.util.Objects.requireNonNull;

/**
 * What one flush adds to one counter row. Both amounts are non-negative; {@code sum} is {@link
 * io.tally.model.Sums#OVERFLOW} when the flush's sum for the row was too large to be exact.
 */
public record CounterDelta(CounterKey key, long count, long sum) {
  public CounterDelta {
    requireNonNull(key, "key");
    if (count < 0 || sum < 0) {
      throw new IllegalArgumentException("deltas only add: count " + count + ", sum " + sum);
    }
  }
}
