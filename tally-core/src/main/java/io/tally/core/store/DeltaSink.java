package io.tally.core.store;

import io.tally.core.aggregate.DeltaBatch;
import java.util.Optional;

/**
 * Where sealed flushes go. {@link #write} applies a batch's deltas and advances its checkpoints in
 * one atomic step: either both are durable or neither is, so a crash at any point leads to
 * reprocessing from the old checkpoint, never to a double count.
 *
 * <p>Implementations are thread-safe; one partition is only ever written by one thread at a time.
 */
public interface DeltaSink {

  /**
   * Atomically applies the deltas and stores the checkpoints.
   *
   * @throws io.tally.model.TallyException if the write failed; nothing of it was applied and the
   *     caller retries the same batch
   */
  void write(DeltaBatch batch);

  /** The last stored checkpoint of {@code partition}, if any. */
  Optional<Checkpoint> checkpoint(int partition);
}
