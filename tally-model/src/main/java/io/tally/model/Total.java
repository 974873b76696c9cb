package io.tally.model;

import static java.util.Objects.requireNonNull;

/**
 * The all-time count and sum of one (entity, type), and its distinct actors when asked.
 *
 * @param sum sum of the events' values, or {@link Sums#OVERFLOW} if it is too large to be exact
 * @param asOfMillis the answer counts every event appended to the log before this time
 * @param consistency how many replicas stood behind it; null when not stated (embedded mode)
 * @param uniques distinct actors of all time; null unless asked for ({@code fn=uniques})
 */
public record Total(
    String entity,
    String type,
    long count,
    long sum,
    long asOfMillis,
    Consistency consistency,
    Uniques uniques) {
  public Total {
    requireNonNull(entity, "entity");
    requireNonNull(type, "type");
  }

  /** An answer without distinct actors. */
  public Total(
      String entity, String type, long count, long sum, long asOfMillis, Consistency consistency) {
    this(entity, type, count, sum, asOfMillis, consistency, null);
  }

  /** An answer that states no consistency. */
  public Total(String entity, String type, long count, long sum, long asOfMillis) {
    this(entity, type, count, sum, asOfMillis, null, null);
  }

  /** Whether the sum is too large to be given exactly ({@link Sums#OVERFLOW}). */
  public boolean sumOverflow() {
    return Sums.isOverflow(sum);
  }

  /** The mean value ({@code sum / count}): 0 without events, NaN when the sum overflowed. */
  public double avg() {
    return Bucket.avg(count, sum);
  }

  /** This answer with {@code uniques}. */
  public Total withUniques(Uniques uniques) {
    return new Total(entity, type, count, sum, asOfMillis, consistency, uniques);
  }
}
