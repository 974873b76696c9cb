package io.tally.core.recount;

import io.tally.core.aggregate.RowCorrection;
import io.tally.core.topk.SlotCorrection;
import java.util.List;

/**
 * Where a recount in cluster mode sends its corrections: the log of deltas (Kafka's {@code
 * tally.deltas}), so that the one writer of every counter row, the materializer, applies them in
 * order with the processor's deltas and idempotently by position (DESIGN.md invariant 5).
 *
 * <p>Implementations are thread-safe.
 */
public interface CorrectionLog {

  /**
   * Appends {@code corrections} (rows all written by {@code partition}) and {@code slots} (the
   * corrections of that partition's Top-K slots) to that partition of the log of deltas,
   * atomically: all of them become visible to the materializer, or none. Either list may be empty,
   * not both.
   *
   * @return the offset of the last record written
   * @throws io.tally.model.TallyException if the append failed: then it is visible either whole or
   *     not at all (a commit whose answer was lost may have happened)
   */
  long append(int partition, List<RowCorrection> corrections, List<SlotCorrection> slots);

  /** The end of {@code partition} of the log of deltas as the materializer can read it now. */
  long endOffset(int partition);
}
