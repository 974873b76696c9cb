package io.tally.cassandra;

import static java.util.Objects.requireNonNull;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Statement;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.partition.Partitioner;
import io.tally.core.recount.CounterRows;
import io.tally.core.retention.TimeRanges;
import io.tally.core.store.Checkpoint;
import io.tally.model.Granularity;
import io.tally.model.TallyException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The Cassandra counter rows as the audit sees them ({@link CounterRows}), read only.
 *
 * <h2>A consistent cut without snapshots</h2>
 *
 * Cassandra has no snapshot, but every row carries the position of the last delta applied to it
 * (its writetime, DESIGN.md invariant 5), and the materializer writes a partition's checkpoint to
 * {@code progress}, at the position of the delta record that carried it, only after every row the
 * deltas up to it touched. So a {@link #snapshot} reads each partition's checkpoint with its
 * position first; a row read afterwards whose writetime is at most its writing partition's
 * checkpoint position holds exactly the deltas of the events below that checkpoint. A row written
 * later (a late event into the range while the audit read) is not part of the cut: {@link
 * Snapshot#forEachRow} then fails, naming it, and the audit is retried (the background auditor
 * backs off; an on-demand audit answers 503).
 *
 * <p>Reading the rows of a range scans the counters table (one scan per granularity and range
 * start, filtered by Cassandra): the audit's cost grows with the table, once an hour.
 *
 * <p>{@link Snapshot#replace} is refused: a row of cluster mode has one writer, the materializer
 * (whose row cache a direct write would be lost under), so a recount's swap must travel through the
 * deltas topic, which is not built (docs/raw.md).
 *
 * <p>Thread-safe; each snapshot is used by one thread.
 */
public final class CassandraCounterRows implements CounterRows {
  private final CqlSession session;
  private final CassandraSettings settings;
  private final Partitioner partitioner;
  private final PreparedStatement progress;
  private final PreparedStatement scan;
  private final PreparedStatement readRow;

  /**
   * @param partitions P, the number of event partitions (to find each row's writing partition)
   */
  public CassandraCounterRows(CassandraCounterStore store, int partitions) {
    requireNonNull(store, "store");
    this.session = store.session();
    this.settings = store.settings();
    this.partitioner = new Partitioner(partitions);
    String ks = settings.keyspace();
    progress =
        session.prepare(
            "SELECT partition, next_offset, last_append, as_of, WRITETIME(next_offset) FROM "
                + ks
                + ".progress");
    scan =
        session.prepare(
            "SELECT entity, type, bucket, count, sum, WRITETIME(count) FROM "
                + ks
                + ".counters WHERE granularity = ? AND range_start = ? ALLOW FILTERING");
    readRow =
        session.prepare(
            "SELECT count, sum FROM "
                + ks
                + ".counters WHERE entity = ? AND type = ? AND granularity = ? AND range_start = ?"
                + " AND bucket = ?");
  }

  @Override
  public CounterRows.Snapshot snapshot() {
    Map<Integer, Checkpoint> checkpoints = new HashMap<>();
    Map<Integer, Long> positions = new HashMap<>();
    for (com.datastax.oss.driver.api.core.cql.Row r : execute(progress.bind())) {
      int p = r.getInt(0);
      checkpoints.put(p, new Checkpoint(p, r.getLong(1), r.getLong(2), r.getLong(3)));
      positions.put(p, r.getLong(4));
    }
    return new Cut(checkpoints, positions);
  }

  private List<com.datastax.oss.driver.api.core.cql.Row> execute(Statement<?> statement) {
    try {
      return session.execute(statement.setConsistencyLevel(settings.writeConsistency())).all();
    } catch (DriverException e) {
      throw new TallyException("Cassandra read failed: " + e.getMessage(), e);
    }
  }

  /** The rows as of each partition's checkpoint read when it was taken. */
  private final class Cut implements CounterRows.Snapshot {
    private final Map<Integer, Checkpoint> checkpoints;
    private final Map<Integer, Long> positions;

    Cut(Map<Integer, Checkpoint> checkpoints, Map<Integer, Long> positions) {
      this.checkpoints = Map.copyOf(checkpoints);
      this.positions = Map.copyOf(positions);
    }

    @Override
    public Optional<Checkpoint> checkpoint(int partition) {
      return Optional.ofNullable(checkpoints.get(partition));
    }

    @Override
    public void forEachRow(
        Granularity granularity, long fromMillis, long toMillis, Consumer<Row> each) {
      if (fromMillis >= toMillis) {
        return;
      }
      long last = TimeRanges.rangeStart(granularity, toMillis - 1);
      long span = TimeRanges.spanMillis(granularity);
      for (long range = TimeRanges.rangeStart(granularity, fromMillis);
          range <= last;
          range += span) {
        for (com.datastax.oss.driver.api.core.cql.Row r :
            execute(scan.bind(granularity.wireName(), range))) {
          long bucket = r.getLong(2);
          if (bucket >= fromMillis && bucket < toMillis && r.getLong(3) != 0) {
            CounterKey key = new CounterKey(r.getString(0), r.getString(1), granularity, bucket);
            checkInCut(key, r.getLong(5));
            each.accept(new Row(key, r.getLong(3), r.getLong(4)));
          }
        }
      }
    }

    private void checkInCut(CounterKey key, long writtenAt) {
      int p = DerivedEntities.writerPartition(key.entity(), partitioner);
      Long cut = positions.get(p);
      if (cut == null || writtenAt > cut) {
        throw new TallyException(
            "the counters moved while they were read ("
                + key
                + " was written after partition "
                + p
                + "'s checkpoint): try again");
      }
    }

    @Override
    public Row read(CounterKey key) {
      List<com.datastax.oss.driver.api.core.cql.Row> found =
          execute(
              readRow.bind(
                  key.entity(),
                  key.type(),
                  key.granularity().wireName(),
                  TimeRanges.rangeStart(key.granularity(), key.bucketStartMillis()),
                  key.bucketStartMillis()));
      return found.isEmpty()
          ? new Row(key, 0, 0)
          : new Row(key, found.get(0).getLong(0), found.get(0).getLong(1));
    }

    /**
     * @throws UnsupportedOperationException always: see the class comment
     */
    @Override
    public void replace(List<Row> rows) {
      throw new UnsupportedOperationException(
          "replacing counter rows in cluster mode must go through the deltas topic; not built");
    }

    @Override
    public void close() {}
  }
}
