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
   * Starts a write of {@code partition}'s next range. Its events are appended one at a time, so the
   * caller holds none of them, and {@link Write#commit} stores them and moves the partition's
   * export position, atomically. A write closed without a commit changed nothing. The write holds
   * the store's writing (compaction, expiry, other writes) until it is closed, and belongs to the
   * thread that began it.
   *
   * @throws io.tally.model.TallyException if another process holds {@code partition} or the store
   *     failed
   */
  Write begin(int partition);

  /**
   * One write of a partition's range ({@link #begin}): {@link #append} each counted event in offset
   * order, then {@link #commit}, then {@link #close} (try-with-resources). Records of the range not
   * appended were duplicates. Not thread-safe.
   */
  interface Write extends AutoCloseable {
    /**
     * Adds {@code event}: of the partition, after the events appended before it, at or after {@link
     * RawStore#exported}'s offset.
     *
     * @throws IllegalArgumentException if it does not follow
     * @throws io.tally.model.TallyException if the store failed (close the write: nothing changed)
     */
    void append(RawEvent event);

    /**
     * Stores the appended events, records {@code gaps} (log records lost before export, in the
     * written range) and moves the export position to {@code to}, atomically.
     *
     * @throws IllegalArgumentException if {@code to} lies before the exported position or at or
     *     before an appended event, or a gap lies outside the range; nothing changed
     * @throws io.tally.model.TallyException if the store failed; nothing changed
     */
    void commit(Checkpoint to, List<RawGap> gaps);

    /** Ends the write, leaving the store as it was unless {@link #commit} returned. */
    @Override
    void close();
  }

  /**
   * Stores {@code events} (of {@code partition}, in offset order, all at or after {@link
   * #exported}'s offset and before {@code to}'s) and moves the partition's export position to
   * {@code to}, atomically: {@link #begin}, each event appended, commit. Records of the range that
   * are not in {@code events} were duplicates.
   *
   * @throws io.tally.model.TallyException if the write failed; then nothing changed
   * @throws IllegalArgumentException if the range does not start at the exported position
   */
  default void write(int partition, List<RawEvent> events, Checkpoint to) {
    write(partition, events, to, List.of());
  }

  /**
   * As {@link #write(int, List, Checkpoint)}, and records {@code gaps} (of {@code partition}, in
   * the written range: log records lost before export) in the same atomic step.
   */
  default void write(int partition, List<RawEvent> events, Checkpoint to, List<RawGap> gaps) {
    try (Write w = begin(partition)) {
      for (RawEvent e : events) {
        w.append(e);
      }
      w.commit(to, gaps);
    }
  }

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
