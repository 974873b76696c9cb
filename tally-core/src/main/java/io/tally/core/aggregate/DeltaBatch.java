package io.tally.core.aggregate;

import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSource;
import io.tally.core.topk.SlotCorrection;
import java.util.List;

/**
 * An immutable sealed flush: the counter deltas of some partitions and, for each, the checkpoint
 * that is true once the deltas are applied. A {@link io.tally.core.store.DeltaSink} writes both
 * atomically, which is what makes processing exactly-once.
 *
 * <p>A batch read back from a log of deltas (cluster mode's materializer) also says where it was
 * read from, its {@link DeltaSource}: a sink that is idempotent by position rather than atomic
 * needs it. A flush sealed by the processor has none.
 *
 * @param source where the batch was read back from, or null for a flush sealed by the processor
 * @param corrections a recount's signed corrections read back from the deltas topic (cluster mode;
 *     only a sink idempotent by position applies them), else empty
 * @param slotCorrections a recount's corrections of the source partition's Top-K slots, read back
 *     the same way, else empty
 */
public record DeltaBatch(
    List<CounterDelta> deltas,
    List<Checkpoint> checkpoints,
    DeltaSource source,
    List<RowCorrection> corrections,
    List<SlotCorrection> slotCorrections) {
  public DeltaBatch {
    deltas = List.copyOf(deltas);
    checkpoints = List.copyOf(checkpoints);
    corrections = List.copyOf(corrections);
    slotCorrections = List.copyOf(slotCorrections);
  }

  /** A batch without Top-K slot corrections. */
  public DeltaBatch(
      List<CounterDelta> deltas,
      List<Checkpoint> checkpoints,
      DeltaSource source,
      List<RowCorrection> corrections) {
    this(deltas, checkpoints, source, corrections, List.of());
  }

  /** A batch without corrections. */
  public DeltaBatch(List<CounterDelta> deltas, List<Checkpoint> checkpoints, DeltaSource source) {
    this(deltas, checkpoints, source, List.of());
  }

  /** A flush sealed by the processor: no source. */
  public DeltaBatch(List<CounterDelta> deltas, List<Checkpoint> checkpoints) {
    this(deltas, checkpoints, null);
  }

  public boolean isEmpty() {
    return deltas.isEmpty()
        && checkpoints.isEmpty()
        && corrections.isEmpty()
        && slotCorrections.isEmpty();
  }
}
