package io.tally.core.process;

import static java.util.Objects.requireNonNull;

import io.tally.core.log.EventLog;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import java.time.InstantSource;
import java.util.function.IntToLongFunction;

/**
 * Deletes log records older than the retention period, but never a record that processing still
 * needs: nothing at or after a partition's checkpoint, and nothing in the dedup window's span
 * before it (which recovery re-reads), nor what another reader still needs (the raw export).
 *
 * <p>Thread-safe; run periodically from one scheduler thread.
 */
public final class LogRetention implements Runnable {
  private final EventLog log;
  private final DeltaSink sink;
  private final InstantSource clock;
  private final long retentionMillis;
  private final long dedupWindowMillis;
  private final IntToLongFunction alsoNeeded;

  public LogRetention(
      EventLog log,
      DeltaSink sink,
      InstantSource clock,
      long retentionMillis,
      long dedupWindowMillis) {
    this(log, sink, clock, retentionMillis, dedupWindowMillis, p -> Long.MAX_VALUE);
  }

  /**
   * As the other constructor, keeping also every record at or after {@code
   * alsoNeeded.applyAsLong(p)} in partition p (the raw export's position, {@code
   * io.tally.core.raw.RawExport#neededFrom}).
   */
  public LogRetention(
      EventLog log,
      DeltaSink sink,
      InstantSource clock,
      long retentionMillis,
      long dedupWindowMillis,
      IntToLongFunction alsoNeeded) {
    this.alsoNeeded = requireNonNull(alsoNeeded, "alsoNeeded");
    this.log = requireNonNull(log, "log");
    this.sink = requireNonNull(sink, "sink");
    this.clock = requireNonNull(clock, "clock");
    if (retentionMillis < 1) {
      throw new IllegalArgumentException("log retention must be positive");
    }
    this.retentionMillis = retentionMillis;
    this.dedupWindowMillis = dedupWindowMillis;
  }

  /**
   * The first offset recovery re-reads to rebuild the dedup window of {@code cp}'s partition:
   * everything appended within {@code windowMillis} before the last applied record. The one
   * definition both recovery and retention use, so retention never deletes what recovery needs.
   */
  public static long dedupSpanStart(EventLog log, Checkpoint cp, long windowMillis) {
    return cp.lastAppendTimeMillis() == Long.MIN_VALUE
        ? cp.nextOffset()
        : log.offsetForTime(cp.partition(), cp.lastAppendTimeMillis() - windowMillis);
  }

  @Override
  public void run() {
    long cutoff = clock.millis() - retentionMillis;
    for (int p = 0; p < log.partitions(); p++) {
      Checkpoint cp = sink.checkpoint(p).orElse(Checkpoint.initial(p));
      long needed =
          Math.min(
              Math.min(cp.nextOffset(), dedupSpanStart(log, cp, dedupWindowMillis)),
              alsoNeeded.applyAsLong(p));
      long expired = log.offsetForTime(p, cutoff);
      long deleteBelow = Math.min(needed, expired);
      if (deleteBelow > log.startOffset(p)) {
        log.deleteBefore(p, deleteBelow);
      }
    }
  }
}
