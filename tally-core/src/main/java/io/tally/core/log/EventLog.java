package io.tally.core.log;

import io.tally.model.Position;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The event log seam: P partitions, each an ordered, replayable sequence of events with dense
 * offsets and non-decreasing append times.
 *
 * <p>Implementations are thread-safe: ingest threads append while processor threads read.
 */
public interface EventLog extends AutoCloseable {

  /** Number of partitions, fixed for the life of the log. */
  int partitions();

  /**
   * Appends a batch. The future completes once every event in it is durable (DESIGN.md invariant 1:
   * fsync'd, or replicated) and fails if any is not; only then may the client be told. It completes
   * with the batch's {@link Position}: for each partition the batch has events in, an offset past
   * the last of them (and at most the partition's end offset), which a read-your-writes query waits
   * for.
   *
   * @throws IllegalArgumentException if the batch was built for another partition count
   */
  CompletableFuture<Position> append(EventBatch batch);

  /**
   * Reads about {@code maxRecords} records of {@code partition} from {@code fromOffset} on: an
   * implementation that stores records in batches may finish the batch it is in, so the answer is
   * bounded by {@code maxRecords} plus one stored batch. If {@code fromOffset} lies before the
   * retention start, reading starts at the retention start.
   *
   * @return the records in offset order, empty at the end of the partition
   */
  List<LogRecord> read(int partition, long fromOffset, int maxRecords);

  /** The current end of {@code partition}. */
  LogHead head(int partition);

  /** The lowest offset still readable in {@code partition}. */
  long startOffset(int partition);

  /**
   * The lowest offset whose append time is at or after {@code appendTimeMillis}, or the end offset
   * if there is none (Kafka's {@code offsetsForTimes}).
   */
  long offsetForTime(int partition, long appendTimeMillis);

  /**
   * Deletes every record below {@code offset} in {@code partition} (or as much of it as whole
   * stored batches allow).
   */
  void deleteBefore(int partition, long offset);

  @Override
  void close();
}
