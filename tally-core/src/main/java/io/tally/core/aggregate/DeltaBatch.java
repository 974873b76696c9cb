package io.tally.core.aggregate;

import io.tally.core.store.Checkpoint;
import java.util.List;

/**
 * An immutable sealed flush: the counter deltas of some partitions and, for each, the checkpoint
 * that is true once the deltas are applied. A {@link io.tally.core.store.DeltaSink} writes both
 * atomically, which is what makes processing exactly-once.
 */
public record DeltaBatch(List<CounterDelta> deltas, List<Checkpoint> checkpoints) {
  public DeltaBatch {
    deltas = List.copyOf(deltas);
    checkpoints = List.copyOf(checkpoints);
  }

  public boolean isEmpty() {
    return deltas.isEmpty() && checkpoints.isEmpty();
  }
}
