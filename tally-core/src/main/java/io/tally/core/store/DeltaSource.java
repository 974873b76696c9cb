package io.tally.core.store;

/**
 * Where a {@link io.tally.core.aggregate.DeltaBatch} was read back from: record {@code offset} of
 * partition {@code partition} of a durable, replayable log of deltas (cluster mode: the deltas
 * topic, whose partition p carries exactly event partition p's deltas, DESIGN.md invariant 4).
 *
 * <p>A sink that cannot apply a batch atomically (Cassandra writes its rows one by one) uses it as
 * the position of every delta of the batch: a row stores the position of the last delta applied to
 * it, so a delta at or below that position is a replay and changes nothing (invariant 5). Offsets
 * of one partition rise with the log; offsets of different partitions are not comparable, and need
 * not be, since every row is fed by one partition only.
 *
 * @param partition the partition of the log of deltas
 * @param offset the record's offset in that partition
 */
public record DeltaSource(int partition, long offset) {
  public DeltaSource {
    if (partition < 0 || offset < 0) {
      throw new IllegalArgumentException(
          "partition and offset must not be negative: " + partition + ", " + offset);
    }
  }

  /** Bits of a position below its generation: offsets up to 2^40 − 1. */
  public static final int GENERATION_SHIFT = 40;

  /**
   * This record's position in the epoch {@code generation} of the log: the generation in the high
   * bits, the offset below ({@code generation × 2^40 + offset}). Offsets restart when the log is
   * recreated; the next generation's positions are all higher than the last one's (invariant 5).
   */
  public long position(long generation) {
    return (generation << GENERATION_SHIFT) + offset;
  }
}
