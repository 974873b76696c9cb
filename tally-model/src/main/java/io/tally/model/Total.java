package io.tally.model;

import static java.util.Objects.requireNonNull;

/**
 * The all-time count and sum of one (entity, type).
 *
 * @param asOfMillis the answer counts every event appended to the log before this time
 * @param consistency how many replicas stood behind it; null when not stated (embedded mode)
 */
public record Total(
    String entity, String type, long count, long sum, long asOfMillis, Consistency consistency) {
  public Total {
    requireNonNull(entity, "entity");
    requireNonNull(type, "type");
  }

  /** An answer that states no consistency. */
  public Total(String entity, String type, long count, long sum, long asOfMillis) {
    this(entity, type, count, sum, asOfMillis, null);
  }
}
