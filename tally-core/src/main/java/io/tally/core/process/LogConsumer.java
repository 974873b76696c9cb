package io.tally.core.process;

import io.tally.core.log.LogHead;
import io.tally.core.log.LogRecord;
import java.util.Collection;
import java.util.List;

/**
 * The partition-ownership seam: how one processor thread learns which partitions it owns and reads
 * their records. Embedded mode owns a fixed set for good ({@link EventLogConsumer}); cluster mode
 * follows a Kafka consumer group's assignment, so partitions come and go at any poll.
 *
 * <p>A newly assigned partition yields nothing until the processor {@linkplain #seek sets its
 * position} (after it recovered the partition's checkpoint and dedup window).
 *
 * <p>Not thread-safe: owned and used by one processor thread; the {@link Listener} is called on
 * that thread from within {@link #poll}.
 */
public interface LogConsumer extends AutoCloseable {

  /** Ownership changes, called from within {@link #poll} on the processor thread. */
  interface Listener {
    /** The partitions are now owned: recover them and {@link #seek} each. */
    void assigned(Collection<Integer> partitions);

    /** The partitions are being given up and still owned during this call: flush them now. */
    void revoked(Collection<Integer> partitions);

    /** The partitions are already someone else's: drop everything not yet written for them. */
    void lost(Collection<Integer> partitions);
  }

  /**
   * What one poll read from one partition.
   *
   * @param partition the partition
   * @param records its next records, in offset order (possibly none)
   * @param head the partition's head as far as known at the poll (null if not known yet): when the
   *     records reach its end offset, every event appended before its {@code completeBeforeMillis}
   *     has been read
   */
  record Fetched(int partition, List<LogRecord> records, LogHead head) {}

  /**
   * Applies ownership changes (through {@code listener}) and, if {@code fetch}, reads the next
   * records of the owned, positioned partitions. With {@code fetch} false it reads no records (a
   * processor holding an unwritten flush consumes nothing more) but keeps the membership alive and
   * still reports the heads where it can, so the backlog stays visible.
   */
  List<Fetched> poll(Listener listener, boolean fetch);

  /**
   * The end offset of {@code partition} now, callable from any thread, or -1 where only a poll
   * learns it (a Kafka consumer belongs to its thread). The backlog uses it: a head learned at the
   * last poll misses what was appended since, so a busy processor that has just written what it
   * polled would otherwise report no backlog while acknowledged events wait.
   */
  default long liveEndOffset(int partition) {
    return -1;
  }

  /** Sets where {@code partition} is read from next. */
  void seek(int partition, long offset);

  @Override
  void close();
}
