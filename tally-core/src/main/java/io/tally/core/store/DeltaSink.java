package io.tally.core.store;

import io.tally.core.aggregate.DeltaBatch;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Where sealed flushes go. {@link #write} applies a batch's deltas and advances its checkpoints in
 * one atomic step: either both are durable or neither is, so a crash at any point leads to
 * reprocessing from the old checkpoint, never to a double count.
 *
 * <p>A sink that cannot write a batch atomically (Cassandra, whose rows are written one by one) is
 * idempotent by position instead, and accepts only batches that carry their {@link DeltaSource}: a
 * failed write may leave part of a batch applied, and writing it again — or any replay of the log
 * of deltas from before it — completes it with every delta counted once (DESIGN.md invariant 5).
 * Such a sink is fed by a consumer of that log, never by the processor directly.
 *
 * <p>Implementations are thread-safe; one partition is only ever written by one thread at a time.
 */
public interface DeltaSink {

  /**
   * Atomically applies the deltas and stores the checkpoints.
   *
   * @throws io.tally.model.TallyException if the write failed; nothing of it was applied (or, for a
   *     sink idempotent by position, nothing a retry would count twice) and the caller retries the
   *     same batch
   * @throws IllegalArgumentException if the sink is idempotent by position and the batch has no
   *     {@link DeltaBatch#source()}
   */
  void write(DeltaBatch batch);

  /**
   * Writes several batches in their order, with the effect of {@link #write(DeltaBatch)} on each;
   * batches of one source partition come in offset order. A sink may write them together (a row
   * touched by several batches written once); if it throws, any prefix of them may be applied, and
   * the caller retries them all (which only a sink idempotent by position tolerates: the default
   * writes them one by one, so an atomic sink fails with the earlier batches applied).
   *
   * @throws io.tally.model.TallyException as {@link #write(DeltaBatch)}
   */
  default void writeAll(List<DeltaBatch> batches) {
    for (DeltaBatch b : batches) {
      write(b);
    }
  }

  /**
   * Says that another writer may have written the rows fed by {@code partitions} since this sink
   * last did (a consumer of a log of deltas gained or lost them): a sink that caches rows it wrote
   * forgets them. By default nothing is cached.
   */
  default void ownershipChanged(Collection<Integer> partitions) {}

  /**
   * Names the log whose offsets the batches' {@link DeltaSource}s are (e.g. the deltas topic's id),
   * before the first batch and whenever it may have changed. Offsets restart when that log is
   * recreated, so a sink idempotent by position starts a new, higher epoch of positions for a new
   * identity. By default positions are not kept, and the identity does not matter.
   */
  default void sourceIdentity(UUID source) {}

  /** The last stored checkpoint of {@code partition}, if any. */
  Optional<Checkpoint> checkpoint(int partition);
}
