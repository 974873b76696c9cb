package io.tally.core.aggregate;

import static java.util.Objects.requireNonNull;

/**
 * A signed change to one counter row: what a recount adds to a row to make it what the raw store
 * says ({@code recounted − served}), in cluster mode carried by the deltas topic to the one writer
 * of the row, the materializer. Unlike a {@link CounterDelta} it may take counts away. Immutable.
 *
 * @param count added to the row's count (may be negative)
 * @param sum added to the row's sum (may be negative)
 */
public record RowCorrection(CounterKey key, long count, long sum) {
  public RowCorrection {
    requireNonNull(key, "key");
  }
}
