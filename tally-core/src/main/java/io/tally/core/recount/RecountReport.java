package io.tally.core.recount;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.CounterKey;
import io.tally.model.Granularity;
import java.util.List;

/**
 * What a recount (or an audit: a recount that changes nothing) found.
 *
 * @param range what was recounted
 * @param applied whether the recounted rows replaced the served ones (false for an audit)
 * @param granularities the granularities compared (those whose rows of the range are retained; day
 *     only for days wholly in the range)
 * @param unchanged rows whose served count and sum equal the recount
 * @param changed rows served with another count or sum
 * @param added rows the recount has and the store did not serve
 * @param removed rows served that the recount does not have
 * @param totalsAdjusted all-time total rows moved by the hour rows' differences (applied only)
 * @param eventsRead raw and not yet exported events read for the recount
 * @param differences the first {@value #MAX_DIFFERENCES} differing rows, in key order
 * @param topKSlotsChanged Top-K slots (per partition, type, window and slot) whose served counts
 *     differ from the recount (corrected when applied)
 * @param topKSlotsSkipped served Top-K slots neither compared nor corrected: not exact, or (cluster
 *     mode) written after the recount's cut
 */
public record RecountReport(
    RecountRange range,
    boolean applied,
    List<Granularity> granularities,
    long unchanged,
    long changed,
    long added,
    long removed,
    long totalsAdjusted,
    long eventsRead,
    List<Difference> differences,
    long topKSlotsChanged,
    long topKSlotsSkipped) {

  /** Most differing rows a report names. */
  public static final int MAX_DIFFERENCES = 20;

  public RecountReport {
    requireNonNull(range, "range");
    granularities = List.copyOf(granularities);
    differences = List.copyOf(differences);
  }

  /** Rows that differ: changed, added and removed. */
  public long mismatched() {
    return changed + added + removed;
  }

  /** One row whose served value differs from the recount (0, 0 on the side that has none). */
  public record Difference(
      CounterKey key, long servedCount, long servedSum, long recountedCount, long recountedSum) {
    @Override
    public String toString() {
      return key.entity()
          + " "
          + key.type()
          + " "
          + key.granularity().wireName()
          + " "
          + java.time.Instant.ofEpochMilli(key.bucketStartMillis())
          + ": served "
          + servedCount
          + "/"
          + servedSum
          + ", recounted "
          + recountedCount
          + "/"
          + recountedSum
          + " (count/sum)";
    }
  }
}
