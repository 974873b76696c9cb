package io.tally.core.raw;

import io.tally.core.store.Checkpoint;
import java.util.List;

/**
 * Where counted events are kept for good (until {@link #expire}): the cold tier of DESIGN.md.
 *
 * <p>Export is exactly-once because the store keeps, atomically with every write, how far each
 * partition is exported ({@link #exported}): a write either happened entirely (its events and the
 * new position) or not at all, so a crash at any point is followed by a re-export of exactly the
 * range that was not recorded. The ranges of one partition's writes tile the log without overlap.
 *
 * <p>Several processes may share one store (the nodes of a cluster): each partition is written by
 * the one process that {@linkplain #claim claimed} it, and every process reads every partition.
 *
 * <p>Implementations are thread-safe; one thread ({@link RawExport}'s) writes, any thread may read.
 */
public interface RawStore extends AutoCloseable {

  /**
   * Makes this process the writer of {@code partition}, unless another process is: a claim holds
   * until {@link #release} or the process ends (kill -9 included). Claiming first clears what an
   * interrupted write of the partition left unrecorded. Returns at once.
   *
   * @return whether this process holds the partition now
   * @throws io.tally.model.TallyException if the store cannot be reached
   */
  boolean claim(int partition);

  /** Gives up the writing of {@code partition} (nothing if not claimed). */
  void release(int partition);

  /**
   * How far {@code partition} is exported: the first offset not exported, the append time of the
   * last record before it (from which the dedup window is rebuilt), and {@code asOfMillis}: every
   * counted event of the partition appended before it is in the store. {@link Checkpoint#initial}
   * if nothing was exported.
   */
  Checkpoint exported(int partition);

  /**
   * Stores {@code events} (of {@code partition}, in offset order, all at or after {@link
   * #exported}'s offset and before {@code to}'s) and moves the partition's export position to
   * {@code to}, atomically. Records of the range that are not in {@code events} were duplicates.
   *
   * @throws io.tally.model.TallyException if the write failed; then nothing changed
   * @throws IllegalArgumentException if the range does not start at the exported position
   */
  void write(int partition, List<RawEvent> events, Checkpoint to);

  /**
   * As {@link #write(int, List, Checkpoint)}, and records {@code gaps} (of {@code partition}, in
   * the written range: log records lost before export) in the same atomic step.
   */
  void write(int partition, List<RawEvent> events, Checkpoint to, List<RawGap> gaps);

  /**
   * The gaps recorded for every partition ({@link RawGap}), oldest first per partition, until
   * {@link #expire} passes them.
   *
   * @throws io.tally.model.TallyException if a manifest cannot be read (a damaged gap included)
   */
  List<RawGap> gaps();

  /**
   * Every counted event appended before this instant (epoch ms) is in the store, over every
   * partition; {@link Long#MIN_VALUE} before the first export.
   */
  long asOfMillis(int partitions);

  /**
   * Deletes what was appended before {@code beforeMillis} (whole files only), and forgets the gaps
   * whose span ended before it, of the partitions this process claimed.
   *
   * @return the number of events deleted
   */
  long expire(long beforeMillis);

  @Override
  void close();
}
