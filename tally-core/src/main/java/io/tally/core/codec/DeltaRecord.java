package io.tally.core.codec;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.RowCorrection;
import io.tally.core.store.Checkpoint;
import io.tally.core.topk.SlotCorrection;
import java.util.List;

/**
 * One record of the deltas topic (cluster mode): a chunk of one partition's flush, and on the
 * flush's last chunk the checkpoint that is true once every chunk of it is applied. A materializer
 * applies each delta to its row only if the record's offset is newer than the row (DESIGN.md
 * invariant 5).
 *
 * <p>A recount's record (cluster mode) carries {@code corrections} instead: signed changes that
 * make rows of the partition what the raw store says, applied by the same materializer in the same
 * order.
 *
 * @param checkpoint the partition's checkpoint, or null on every chunk but the last
 * @param corrections a recount's corrections (empty in a processor's records)
 * @param slotCorrections a recount's corrections of the partition's Top-K slots (empty in a
 *     processor's records)
 */
public record DeltaRecord(
    List<CounterDelta> deltas,
    Checkpoint checkpoint,
    List<RowCorrection> corrections,
    List<SlotCorrection> slotCorrections) {
  public DeltaRecord {
    deltas = List.copyOf(deltas);
    corrections = List.copyOf(corrections);
    slotCorrections = List.copyOf(slotCorrections);
  }

  /** A record without Top-K slot corrections. */
  public DeltaRecord(
      List<CounterDelta> deltas, Checkpoint checkpoint, List<RowCorrection> corrections) {
    this(deltas, checkpoint, corrections, List.of());
  }

  /** A processor's record: deltas, no corrections. */
  public DeltaRecord(List<CounterDelta> deltas, Checkpoint checkpoint) {
    this(deltas, checkpoint, List.of());
  }
}
