package io.tally.core.codec;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.store.Checkpoint;
import java.util.List;

/**
 * One record of the deltas topic (cluster mode): a chunk of one partition's flush, and on the
 * flush's last chunk the checkpoint that is true once every chunk of it is applied. A materializer
 * applies each delta to its row only if the record's offset is newer than the row (DESIGN.md
 * invariant 5).
 *
 * @param checkpoint the partition's checkpoint, or null on every chunk but the last
 */
public record DeltaRecord(List<CounterDelta> deltas, Checkpoint checkpoint) {
  public DeltaRecord {
    deltas = List.copyOf(deltas);
  }
}
