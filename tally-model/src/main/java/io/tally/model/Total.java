package io.tally.model;

import static java.util.Objects.requireNonNull;

/**
 * The all-time count and sum of one (entity, type).
 *
 * @param sum sum of the events' values, or {@link Sums#OVERFLOW} if it is too large to be exact
 * @param asOfMillis the answer counts every event appended to the log before this time
 * @param consistency how many replicas stood behind it; null when not stated (embedded mode)
 */
public record Total(
    String entity, String type, long count, long sum, long asOfMillis, Consistency consistency) {
  public Total {
    requireNonNull(entity, "entity");
    requireNonNull(type, "type");
  }

  /** Whether the sum is too large to be given exactly ({@link Sums#OVERFLOW}). */
  public boolean sumOverflow() {
    return Sums.isOverflow(sum);
  }

  /** An answer that states no consistency. */
  public Total(String entity, String type, long count, long sum, long asOfMillis) {
    this(entity, type, count, sum, asOfMillis, null);
  }
}
