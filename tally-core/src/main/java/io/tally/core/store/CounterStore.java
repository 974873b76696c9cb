package io.tally.core.store;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.uniques.ActorSketch;
import io.tally.model.Bucket;
import io.tally.model.Granularity;
import io.tally.model.TallyException;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
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

  /**
   * Whether a partition's rows and the checkpoint that covers them become visible together, so its
   * rows do not change while its {@linkplain #asOfMillis as-of} stays the same: true for a store
   * written in one atomic write or transaction per step (RocksDB, PostgreSQL). A store whose writer
   * lands a step's rows first and its checkpoint after them (Cassandra) answers false: an answer a
   * query cache keeps under an unchanged as-of can then be older than the store's rows, by up to a
   * materializer step, so the cache keeps it for at most {@link AsOfMemo#REFRESH_MILLIS}.
   */
  default boolean rowsChangeOnlyWithAsOf() {
    return true;
  }

  /**
   * The latest checkpoint of {@code partition} whose counts this store serves, read now (no memo):
   * every row read after this call holds the partition's events below its {@code nextOffset}. A
   * read-your-writes query ({@link io.tally.core.query.PositionGate}) waits on it. Empty if nothing
   * of that partition was applied yet.
   */
  Optional<Checkpoint> checkpoint(int partition);

  /**
   * {@link #checkpoint(int)} for a read-your-writes wait that wants the partition counted up to
   * {@code wantedNextOffset}. A store that reads a copy that may lag (a read replica) may answer
   * from a fresher copy when the one it reads has not reached {@code wantedNextOffset}, and must
   * then read that partition's rows from a copy at least as fresh as what it returned, so that
   * every row read after this call holds the events below the returned checkpoint's {@code
   * nextOffset}. By default {@link #checkpoint(int)}.
   */
  default Optional<Checkpoint> checkpoint(int partition, long wantedNextOffset) {
    return checkpoint(partition);
  }

  /**
   * {@link #read(CounterKey)}, stating in {@code report} the consistency it was read at (a
   * replicated store; by default nothing is stated) and, if {@code report} allows, falling back to
   * one replica when a quorum cannot be reached.
   */
  default Bucket read(CounterKey key, ReadReport report) {
    return read(key);
  }

  /**
   * {@link #range(String, String, Granularity, long, long)}, reporting as {@link #read(CounterKey,
   * ReadReport)}.
   */
  default List<Bucket> range(
      String entity,
      String type,
      Granularity granularity,
      long fromMillis,
      long toMillis,
      ReadReport report) {
    return range(entity, type, granularity, fromMillis, toMillis);
  }

  /** {@link #asOfMillis(int)}, reporting as {@link #read(CounterKey, ReadReport)}. */
  default OptionalLong asOfMillis(int partition, ReadReport report) {
    return asOfMillis(partition);
  }

  /**
   * The actor sketch of row {@code key}: the union of every applied delta's sketch; null for a row
   * without actors. Reported as {@link #read(CounterKey, ReadReport)}.
   *
   * @throws io.tally.core.codec.CorruptRecordException if the stored sketch is damaged
   */
  default ActorSketch actors(CounterKey key, ReadReport report) {
    throw new TallyException(getClass().getSimpleName() + " keeps no actor sketches");
  }

  /**
   * The actor sketches of (entity, type) at {@code granularity} whose bucket start lies in {@code
   * [fromMillis, toMillis)}, by bucket start; buckets without actors are absent. Reported as {@link
   * #read(CounterKey, ReadReport)}.
   *
   * @throws io.tally.core.codec.CorruptRecordException if a stored sketch is damaged
   */
  default NavigableMap<Long, ActorSketch> actorsRange(
      String entity,
      String type,
      Granularity granularity,
      long fromMillis,
      long toMillis,
      ReadReport report) {
    throw new TallyException(getClass().getSimpleName() + " keeps no actor sketches");
  }
}
