package io.tally.core.raw;

import java.time.Instant;
import java.util.List;

/**
 * Log records the raw export never saw: the log deleted them (its retention) before they were
 * exported, so the raw store lacks them for good. The store records each gap with the export write
 * that goes on after it ({@link RawStore#write(int, List, io.tally.core.store.Checkpoint, List)}),
 * so it outlives restarts until the raw store's retention passes it.
 *
 * <p>The lost records were appended somewhere in {@code [fromAppendMillis, toAppendMillis]}: after
 * the last record exported before the gap and before the first record after it.
 *
 * @param partition the log partition
 * @param fromOffset the first offset lost
 * @param toOffset one past the last offset lost
 * @param fromAppendMillis the append time of the last record exported before the gap (epoch ms; 0
 *     if none was)
 * @param toAppendMillis the append time of the first record after the gap (epoch ms)
 */
public record RawGap(
    int partition, long fromOffset, long toOffset, long fromAppendMillis, long toAppendMillis) {
  public RawGap {
    if (partition < 0 || fromOffset < 0 || toOffset <= fromOffset) {
      throw new IllegalArgumentException(
          "bad raw gap: partition "
              + partition
              + " offsets ["
              + fromOffset
              + ", "
              + toOffset
              + ")");
    }
    if (fromAppendMillis < 0 || toAppendMillis < fromAppendMillis) {
      throw new IllegalArgumentException(
          "bad raw gap append span: " + fromAppendMillis + " to " + toAppendMillis);
    }
  }

  /** How many log records the gap lost. */
  public long records() {
    return toOffset - fromOffset;
  }

  /**
   * Whether an event of the gap may have an event time in {@code [fromMillis, toMillis)}, given
   * that an event time lies at most {@code maxFutureMillis} after its append time and late events
   * (event time before append time) are not bounded here: the range must start after the gap's last
   * possible event time, or end at or before its first append time.
   */
  public boolean mayHoldEventsIn(long fromMillis, long toMillis, long maxFutureMillis) {
    return fromMillis <= toAppendMillis + maxFutureMillis && toMillis > fromAppendMillis;
  }

  /** Names the gap for an operator: partition, offsets and append span. */
  @Override
  public String toString() {
    return "partition "
        + partition
        + " offsets "
        + fromOffset
        + " to "
        + (toOffset - 1)
        + " ("
        + records()
        + " records appended between "
        + Instant.ofEpochMilli(fromAppendMillis)
        + " and "
        + Instant.ofEpochMilli(toAppendMillis)
        + ")";
  }

  /** The /healthz warning of {@code gaps}, or null if there are none. */
  public static String warning(List<RawGap> gaps) {
    if (gaps.isEmpty()) {
      return null;
    }
    long records = gaps.stream().mapToLong(RawGap::records).sum();
    return "raw store: "
        + records
        + " log records were deleted from the log (its retention) before they were exported, in "
        + gaps.size()
        + " gaps, e.g. "
        + gaps.get(gaps.size() - 1)
        + ": the raw store lacks them for good; audits and recounts of their time are refused";
  }
}
