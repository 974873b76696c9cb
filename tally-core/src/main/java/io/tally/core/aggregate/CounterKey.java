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

  /**
   * Written out rather than left to the record's generated one, which goes through a chain of
   * method handles and the granularity's identity hash: the materializer hashes every row's key
   * several times a step (its maps, the row cache, the frontiers), and a profile put that at a
   * sixth of its thread and a third of the driver's I/O threads.
   */
  @Override
  public int hashCode() {
    int h = entity.hashCode();
    h = 31 * h + type.hashCode();
    h = 31 * h + granularity.ordinal();
    return 31 * h + Long.hashCode(bucketStartMillis);
  }

  @Override
  public boolean equals(Object o) {
    return o == this
        || o instanceof CounterKey k
            && k.bucketStartMillis == bucketStartMillis
            && k.granularity == granularity
            && k.entity.equals(entity)
            && k.type.equals(type);
  }
}
