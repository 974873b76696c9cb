package io.tally.model;

/**
 * The count and sum of one (entity, type, granularity) bucket, and its distinct actors when asked.
 *
 * @param startMillis bucket start, epoch milliseconds UTC (0 for the total)
 * @param count number of events
 * @param sum sum of the events' values, or {@link Sums#OVERFLOW} if it is too large to be exact
 * @param uniques distinct actors of the bucket; null unless the answer is of {@link
 *     Statistic#UNIQUES}
 */
public record Bucket(long startMillis, long count, long sum, Uniques uniques) {
  /** A bucket without distinct actors. */
  public Bucket(long startMillis, long count, long sum) {
    this(startMillis, count, sum, null);
  }

  /** Whether the sum is too large to be given exactly ({@link Sums#OVERFLOW}). */
  public boolean sumOverflow() {
    return Sums.isOverflow(sum);
  }

  /**
   * The mean value of the bucket's events ({@code sum / count}); 0 for an empty bucket, NaN when
   * the sum is too large to be exact.
   */
  public double avg() {
    return avg(count, sum);
  }

  /** {@code sum / count}: 0 when {@code count} is 0, NaN when the sum overflowed. */
  static double avg(long count, long sum) {
    if (Sums.isOverflow(sum)) {
      return Double.NaN;
    }
    return count == 0 ? 0 : (double) sum / count;
  }
}
