package io.tally.model;

import static java.util.Objects.requireNonNull;

/**
 * The all-time count and sum of one (entity, type).
 *
 * @param asOfMillis the answer counts every event appended to the log before this time
 */
public record Total(String entity, String type, long count, long sum, long asOfMillis) {
  public Total {
    requireNonNull(entity, "entity");
    requireNonNull(type, "type");
  }
}
