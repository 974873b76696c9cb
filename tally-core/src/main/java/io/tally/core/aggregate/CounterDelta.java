package io.tally.core.aggregate;

import static java.util.Objects.requireNonNull;

import io.tally.core.uniques.ActorSketch;

/**
 * What one flush adds to one counter row. Both amounts are non-negative; {@code sum} is {@link
 * io.tally.model.Sums#OVERFLOW} when the flush's sum for the row was too large to be exact.
 *
 * @param actors the distinct actors of the flush's events on the row, to be unioned into the row's
 *     sketch; null when none of them had an actor
 */
public record CounterDelta(CounterKey key, long count, long sum, ActorSketch actors) {
  public CounterDelta {
    requireNonNull(key, "key");
    if (count < 0 || sum < 0) {
      throw new IllegalArgumentException("deltas only add: count " + count + ", sum " + sum);
    }
  }

  /** A delta without actors. */
  public CounterDelta(CounterKey key, long count, long sum) {
    this(key, count, sum, null);
  }
}
