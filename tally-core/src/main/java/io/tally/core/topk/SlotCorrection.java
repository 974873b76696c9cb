package io.tally.core.topk;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * A recount's signed correction of one Top-K slot of one partition: per ranked entity, its count
 * recounted from the raw store minus its count in the served slot as of the recount's cut. Applied
 * to the slot as it is when the correction lands ({@link SlotSketches#corrected}), it keeps every
 * minute delta added since the cut, the way a counter row's correction does. Only exact slots are
 * corrected (their counts are the entities' counts); immutable.
 *
 * @param slot the slot corrected
 * @param counts per ranked entity (a derived entity's name, never a shard row), the signed
 *     difference; no zero entries
 */
public record SlotCorrection(SlotKey slot, Map<String, Long> counts) {
  public SlotCorrection {
    requireNonNull(slot, "slot");
    counts = Map.copyOf(counts);
    if (counts.containsValue(0L)) {
      throw new IllegalArgumentException("a slot correction has no zero entries: " + counts);
    }
  }
}
