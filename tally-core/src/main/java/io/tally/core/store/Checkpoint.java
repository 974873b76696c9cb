package io.tally.core.store;

/**
 * How far one partition's processing has been durably applied.
 *
 * @param partition the partition
 * @param nextOffset the first offset not yet applied
 * @param lastAppendTimeMillis append time of the last applied record ({@link Long#MIN_VALUE} if
 *     none): the dedup window is rebuilt from the log span ending here
 * @param asOfMillis every event of the partition appended before this instant is applied
 */
public record Checkpoint(
    int partition, long nextOffset, long lastAppendTimeMillis, long asOfMillis) {
  public Checkpoint {
    if (partition < 0 || nextOffset < 0) {
      throw new IllegalArgumentException("partition and offset must not be negative");
    }
  }

  /** Where a partition that was never processed starts. */
  public static Checkpoint initial(int partition) {
    return new Checkpoint(partition, 0L, Long.MIN_VALUE, 0L);
  }
}
