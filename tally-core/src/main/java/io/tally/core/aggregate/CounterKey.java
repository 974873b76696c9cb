package io.tally.core.aggregate;

import static java.util.Objects.requireNonNull;

import io.tally.model.Granularity;

/**
 * Names one counter row: the events of {@code type} on {@code entity} in the bucket of {@code
 * granularity} starting at {@code bucketStartMillis} (0 for {@link Granularity#TOTAL}).
 */
public record CounterKey(
    String entity, String type, Granularity granularity, long bucketStartMillis) {
  public CounterKey {
    requireNonNull(entity, "entity");
    requireNonNull(type, "type");
    requireNonNull(granularity, "granularity");
    if (granularity.bucketStart(bucketStartMillis) != bucketStartMillis) {
      throw new IllegalArgumentException(
          bucketStartMillis + " is not the start of a " + granularity.wireName() + " bucket");
    }
  }

  public static CounterKey total(String entity, String type) {
    return new CounterKey(entity, type, Granularity.TOTAL, 0L);
  }
}
