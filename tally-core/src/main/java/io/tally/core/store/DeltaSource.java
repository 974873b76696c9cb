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
}
