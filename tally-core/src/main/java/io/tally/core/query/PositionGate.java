package io.tally.core.query;

import static java.util.Objects.requireNonNull;

import io.tally.core.store.Checkpoint;
import io.tally.core.store.CounterStore;
import io.tally.model.Position;
import io.tally.model.TallyException;
import java.time.InstantSource;
import java.util.Map;
import java.util.TreeMap;

/**
 * Read-your-writes (issue 19; Kafka Streams' position-bound queries, KIP-796, are the model): an
 * ingest answer carries the {@link Position} its events were appended at, and a query given it as
 * {@code after=<token>} is answered only once the store it reads has counted every partition of the
 * position up to its offset, i.e. the partition's latest {@link CounterStore#checkpoint checkpoint}
 * has a {@code nextOffset} at or past it. The checkpoint is written atomically with the counter
 * rows and top-K slots (embedded: one RocksDB WriteBatch) or after them (cluster: the materializer
 * writes Cassandra's progress row once the rows and slots it covers are written), so a read that
 * follows sees the events.
 *
 * <p>The wait is bounded ({@code wait}, default {@value #DEFAULT_WAIT_MILLIS} ms, at most {@value
 * #MAX_WAIT_MILLIS} ms); past it the query fails with {@link PositionNotReachedException}, saying
 * how far behind each partition is. It polls the checkpoints (5 ms, doubling to 100 ms) on the
 * calling thread, a query worker.
 *
 * <p>Thread-safe and stateless.
 */
public final class PositionGate {
  public static final long DEFAULT_WAIT_MILLIS = 5_000;
  public static final long MAX_WAIT_MILLIS = 60_000;
  private static final long FIRST_POLL_MILLIS = 5;
  private static final long LAST_POLL_MILLIS = 100;

  private final CounterStore store;
  private final int partitions;
  private final InstantSource clock;

  /**
   * @param store where the checkpoints are read: the store the queries read
   * @param partitions P: a position naming a partition at or beyond it is refused
   */
  public PositionGate(CounterStore store, int partitions, InstantSource clock) {
    this.store = requireNonNull(store, "store");
    this.clock = requireNonNull(clock, "clock");
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be positive");
    }
    this.partitions = partitions;
  }

  /**
   * Returns once {@code after} is counted; at once when it is null.
   *
   * @param after a position token, or null
   * @param wait most milliseconds to wait (0 to {@value #MAX_WAIT_MILLIS}), or null for {@value
   *     #DEFAULT_WAIT_MILLIS}
   * @throws BadQueryException if a parameter is malformed, or {@code wait} comes without {@code
   *     after}
   * @throws PositionNotReachedException if the position was not counted within the wait
   */
  public void await(String after, String wait) {
    if (after == null) {
      if (wait != null) {
        throw new BadQueryException("wait only applies with after=<position token>");
      }
      return;
    }
    Position position = position(after);
    long waitMillis = waitMillis(wait);
    long deadline = clock.millis() + waitMillis;
    long poll = FIRST_POLL_MILLIS;
    while (true) {
      Map<Integer, long[]> behind = behind(position);
      if (behind.isEmpty()) {
        return;
      }
      long left = deadline - clock.millis();
      if (left <= 0) {
        throw notReached(behind, waitMillis);
      }
      try {
        Thread.sleep(Math.min(poll, left));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TallyException("interrupted while waiting for a position");
      }
      poll = Math.min(poll * 2, LAST_POLL_MILLIS);
    }
  }

  private Position position(String after) {
    Position position;
    try {
      position = Position.parse(after);
    } catch (IllegalArgumentException e) {
      throw new BadQueryException(e.getMessage());
    }
    if (!position.isEmpty() && position.nextOffsets().lastKey() >= partitions) {
      throw new BadQueryException(
          "after names partition "
              + position.nextOffsets().lastKey()
              + " but this log has "
              + partitions
              + " partitions: the token is from another server");
    }
    return position;
  }

  private static long waitMillis(String wait) {
    if (wait == null) {
      return DEFAULT_WAIT_MILLIS;
    }
    try {
      long w = Long.parseLong(wait);
      if (w >= 0 && w <= MAX_WAIT_MILLIS) {
        return w;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new BadQueryException(
        "wait must be milliseconds from 0 to "
            + MAX_WAIT_MILLIS
            + "; got '"
            + (wait.length() > 40 ? wait.substring(0, 40) + "…" : wait)
            + "'");
  }

  /** Partition → {counted up to, wanted} for each partition of the position not yet counted. */
  private Map<Integer, long[]> behind(Position position) {
    Map<Integer, long[]> behind = new TreeMap<>();
    position
        .nextOffsets()
        .forEach(
            (p, wanted) -> {
              long counted = store.checkpoint(p, wanted).map(Checkpoint::nextOffset).orElse(0L);
              if (counted < wanted) {
                behind.put(p, new long[] {counted, wanted});
              }
            });
    return behind;
  }

  private static PositionNotReachedException notReached(Map<Integer, long[]> behind, long wait) {
    long events = 0;
    StringBuilder detail = new StringBuilder();
    for (Map.Entry<Integer, long[]> e : behind.entrySet()) {
      long[] cw = e.getValue();
      events += cw[1] - cw[0];
      detail
          .append(detail.length() == 0 ? "" : "; ")
          .append("partition ")
          .append(e.getKey())
          .append(" counted up to offset ")
          .append(cw[0])
          .append(" of ")
          .append(cw[1]);
    }
    return new PositionNotReachedException(
        "the position was not counted within "
            + wait
            + " ms: "
            + events
            + " events behind ("
            + detail
            + "); retry, or wait longer with wait=<ms>",
        events);
  }
}
