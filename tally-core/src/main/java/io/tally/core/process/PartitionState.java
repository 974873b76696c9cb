package io.tally.core.process;

import io.tally.core.dedup.DedupWindow;
import io.tally.core.store.Checkpoint;

/**
 * What one processor thread knows about one of its partitions. Fields are owned by that thread,
 * except the volatile ones, which it publishes for the backlog and lag gauges.
 */
final class PartitionState {
  final int partition;
  final DedupWindow dedup;
  long nextOffset;
  long lastAppendTimeMillis;
  long asOfMillis;
  private Checkpoint lastWritten;
  volatile long appliedOffset;

  /** The partition's end offset as of the last poll that told it (for the lag gauges). */
  volatile long endOffset;

  /** The as-of time of the last written checkpoint: counts are complete before it. */
  volatile long appliedAsOfMillis;

  PartitionState(int partition, DedupWindow dedup, Checkpoint from) {
    this.partition = partition;
    this.dedup = dedup;
    this.nextOffset = from.nextOffset();
    this.lastAppendTimeMillis = from.lastAppendTimeMillis();
    this.asOfMillis = from.asOfMillis();
    this.lastWritten = from;
    this.appliedOffset = from.nextOffset();
    this.endOffset = from.nextOffset();
    this.appliedAsOfMillis = from.asOfMillis();
  }

  /** The checkpoint that is true once everything consumed so far is applied. */
  Checkpoint checkpoint() {
    return new Checkpoint(partition, nextOffset, lastAppendTimeMillis, asOfMillis);
  }

  boolean changedSinceWritten() {
    return !checkpoint().equals(lastWritten);
  }

  void written(Checkpoint checkpoint) {
    lastWritten = checkpoint;
    appliedOffset = checkpoint.nextOffset();
    appliedAsOfMillis = checkpoint.asOfMillis();
  }
}
