package io.tally.core.uniques;

import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;

/**
 * Collects the actors of one row during one flush. Not thread-safe: owned by the aggregator's
 * thread; {@link #build()} hands an immutable {@link ActorSketch} onward.
 */
public final class ActorSketchBuilder {
  private final HllSketch sketch;

  public ActorSketchBuilder(UniquesConfig config) {
    this.sketch = new HllSketch(config.lgK(), TgtHllType.HLL_8);
  }

  public void add(String actor) {
    sketch.update(actor);
  }

  public ActorSketch build() {
    return ActorSketch.of(sketch);
  }
}
