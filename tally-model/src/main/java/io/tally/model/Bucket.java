package io.tally.model;

/**
 * The count and sum of one (entity, type, granularity) bucket.
 *
 * @param startMillis bucket start, epoch milliseconds UTC (0 for the total)
 * @param count number of events
 * @param sum sum of the events' values, or {@link Sums#OVERFLOW} if it is too large to be exact
 */
public record Bucket(long startMillis, long count, long sum) {
  /** Whether the sum is too large to be given exactly ({@link Sums#OVERFLOW}). */
  public boolean sumOverflow() {
    return Sums.isOverflow(sum);
  }
}
