package io.tally.core.store;

import io.tally.core.aggregate.CounterKey;
import io.tally.model.Bucket;
import io.tally.model.Granularity;
import java.util.List;
import java.util.OptionalLong;

/** The read-only view of counter rows that queries see. Thread-safe. */
public interface CounterStore {

  /** The row {@code key}; a row never written reads as count 0, sum 0. */
  Bucket read(CounterKey key);

  /**
   * The non-empty buckets of (entity, type) at {@code granularity} whose start lies in {@code
   * [fromMillis, toMillis)}, in time order.
   */
  List<Bucket> range(
      String entity, String type, Granularity granularity, long fromMillis, long toMillis);

  /**
   * Up to when the rows of {@code partition} are complete: every event appended to it before the
   * returned instant is counted. Empty if nothing of that partition was applied yet.
   */
  OptionalLong asOfMillis(int partition);
}
