package io.tally.core.uniques;

import io.tally.model.Uniques;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;

/**
 * Unions the sketches of several rows at query time: the shards of a derived entity, or the buckets
 * of a range. The union's size is the lgK of the first sketch added (rows are written at the
 * configured lgK; a sketch of a larger one is downsampled). Not thread-safe: one per query, on the
 * query's thread.
 */
public final class ActorUnion {
  private Union union; // null until the first sketch
  private boolean allExact = true;

  /** Adds a row's sketch; null (a row without actors) adds nothing. */
  public ActorUnion add(ActorSketch sketch) {
    if (sketch != null) {
      HllSketch s = sketch.sketch();
      if (union == null) {
        union = new Union(s.getLgConfigK());
      }
      union.update(s);
      allExact &= sketch.exact();
    }
    return this;
  }

  /** The union so far, or null when nothing but nulls was added. */
  public ActorSketch result() {
    return union != null ? ActorSketch.of(union.getResult(TgtHllType.HLL_4)) : null;
  }

  /**
   * The estimate of the union and its 95 % bounds; {@link Uniques#NONE} when empty. Taken from the
   * union's canonical form ({@link ActorSketch}), so it depends only on which actors' hashes went
   * in, never on the order the sketches were merged or how their deltas were split.
   */
  public Uniques estimate() {
    if (union == null) {
      return Uniques.NONE;
    }
    ActorSketch result = ActorSketch.of(union.getResult(TgtHllType.HLL_4));
    Uniques u = result.estimate();
    return allExact || !u.exact()
        ? u
        : new Uniques(u.estimate(), u.lowerBound(), u.upperBound(), false);
  }
}
