package io.tally.cassandra;

import static java.util.Objects.requireNonNull;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Statement;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.RowCorrection;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.partition.Partitioner;
import io.tally.core.recount.CorrectionLog;
import io.tally.core.recount.CounterRows;
import io.tally.core.store.Checkpoint;
import io.tally.core.topk.SlotCorrection;
import io.tally.core.topk.SlotKey;
import io.tally.core.topk.TopKConfig;
import io.tally.core.topk.TopKSlots;
import io.tally.model.Granularity;
import io.tally.model.TallyException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.datasketches.frequencies.ItemsSketch;

/**
 * The Cassandra counter rows as a recount sees them ({@link CounterRows}): a consistent cut to
 * compare with and, given a {@link CorrectionLog}, replacement through the deltas topic.
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
 * <p>The Top-K slots of a partition ({@link Snapshot#topKSlots}) are cut the same way, by the
 * position each slot row stores: a slot written after the checkpoint is {@linkplain Slots#moved
 * moved}, neither compared nor corrected; its corrections travel with the rows' ({@link
 * CorrectionLog#append(int, List, List)}) and the materializer's {@link TopKWriter} applies them.
 *
 * <p>Reading the rows of a range scans the counter rows table (one scan per granularity, filtered
 * by Cassandra): the audit's cost grows with the table, once an hour.
 *
 * <h2>Replacing rows while the materializer writes</h2>
 *
 * A row of cluster mode has one writer, the materializer (a direct write would be lost under its
 * row cache, or would make later deltas lose to it). So {@link Snapshot#replace} appends the
 * correction {@code value − value in the cut} of each row as a record of the rows' deltas partition
 * ({@link CorrectionLog}); the materializer adds it in order, idempotently by position, on top of
 * whatever it applied after the cut: nothing is lost or counted twice. Then it waits until the
 * partition's materialized checkpoint is past the correction (a processor flush after it), so the
 * next cut holds it. Two recounts must not correct the same cut: the caller serializes recounts
 * across the cluster, and with a correction log every {@link #snapshot} first waits until the
 * materializer has applied the deltas topic as far as it reaches now — a correction whose recount
 * was killed before it saw it applied is then in the cut, not corrected again.
 *
 * <p>Thread-safe; each snapshot is used by one thread.
 */
public final class CassandraCounterRows implements CounterRows {
  /** How long a recount waits for the materializer to apply what it needs applied. */
  static final long MATERIALIZED_WAIT_MILLIS = 60_000;

  /** The offset part of a position ({@link CounterWriter#position}). */
  private static final long OFFSET_MASK = (1L << 40) - 1;

  private final CqlSession session;
  private final CassandraSettings settings;
  private final Partitioner partitioner;
  private final PreparedStatement progress;
  private final PreparedStatement scan;
  private final PreparedStatement readRow;
  private final CorrectionLog corrections;
  private final InstantSource clock;

  private final CassandraTopKStore topKStore;
  private final TopKConfig topK;

  /**
   * Counter rows only: a recount leaves the Top-K slots as they are.
   *
   * @param partitions P, the number of event partitions (to find each row's writing partition)
   * @param corrections where replacements go, or null: then {@link Snapshot#replace} is refused
   */
  public CassandraCounterRows(
      CassandraCounterStore store, int partitions, CorrectionLog corrections, InstantSource clock) {
    this(store, partitions, corrections, null, TopKConfig.DISABLED, clock);
  }

  /**
   * Counter rows and the Top-K slots of {@code topKStore}, kept as {@code topK} says (the
   * materializers' configuration).
   */
  public CassandraCounterRows(
      CassandraCounterStore store,
      int partitions,
      CorrectionLog corrections,
      CassandraTopKStore topKStore,
      TopKConfig topK,
      InstantSource clock) {
    requireNonNull(store, "store");
    this.topK = requireNonNull(topK, "topK");
    this.topKStore = topK.enabled() ? requireNonNull(topKStore, "topKStore") : null;
    this.corrections = corrections;
    this.clock = requireNonNull(clock, "clock");
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
                + ".counter_rows WHERE granularity = ? AND bucket >= ? AND bucket < ?"
                + " ALLOW FILTERING");
    readRow =
        session.prepare(
            "SELECT count, sum FROM "
                + ks
                + ".counter_rows WHERE entity = ? AND type = ? AND granularity = ? AND bucket = ?");
  }

  @Override
  public TopKConfig topK() {
    return topK;
  }

  @Override
  public CounterRows.Snapshot snapshot() {
    if (corrections != null) {
      Map<Integer, Long> ends = new HashMap<>();
      for (int p = 0; p < partitioner.partitions(); p++) {
        ends.put(p, corrections.endOffset(p));
      }
      awaitMaterialized(ends, "the deltas topic's end");
    }
    Map<Integer, Checkpoint> checkpoints = new HashMap<>();
    Map<Integer, Long> positions = readProgress(checkpoints);
    return new Cut(checkpoints, positions);
  }

  /** Each partition's checkpoint (into {@code checkpoints}) and the position it was written at. */
  private Map<Integer, Long> readProgress(Map<Integer, Checkpoint> checkpoints) {
    Map<Integer, Long> positions = new HashMap<>();
    for (com.datastax.oss.driver.api.core.cql.Row r : execute(progress.bind())) {
      int p = r.getInt(0);
      checkpoints.put(p, new Checkpoint(p, r.getLong(1), r.getLong(2), r.getLong(3)));
      positions.put(p, r.getLong(4));
    }
    return positions;
  }

  /**
   * Waits until each partition's materialized checkpoint was carried by a record at or after its
   * offset in {@code offsets} (so everything before that offset is applied).
   *
   * @throws TallyException if that takes longer than {@value #MATERIALIZED_WAIT_MILLIS} ms
   */
  private void awaitMaterialized(Map<Integer, Long> offsets, String what) {
    long deadline = clock.millis() + MATERIALIZED_WAIT_MILLIS;
    while (true) {
      Map<Integer, Long> positions = readProgress(new HashMap<>());
      Integer behind = null;
      for (Map.Entry<Integer, Long> e : offsets.entrySet()) {
        Long at = positions.get(e.getKey());
        if (e.getValue() > 0 && (at == null || (at & OFFSET_MASK) < e.getValue())) {
          behind = e.getKey();
          break;
        }
      }
      if (behind == null) {
        return;
      }
      if (clock.millis() > deadline) {
        throw new TallyException(
            "the materializer has not applied partition "
                + behind
                + " of the deltas topic up to "
                + what
                + " within "
                + MATERIALIZED_WAIT_MILLIS / 1000
                + " s (are processors and materializers running?): try again");
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TallyException("interrupted while waiting for the materializer", e);
      }
    }
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
    private final Map<CounterKey, Row> served = new HashMap<>();

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
      for (com.datastax.oss.driver.api.core.cql.Row r :
          execute(scan.bind(granularity.wireName(), fromMillis, toMillis))) {
        if (r.getLong(3) != 0) {
          CounterKey key =
              new CounterKey(r.getString(0), r.getString(1), granularity, r.getLong(2));
          checkInCut(key, r.getLong(5));
          Row row = new Row(key, r.getLong(3), r.getLong(4));
          served.put(key, row);
          each.accept(row);
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

    /**
     * {@inheritDoc} A slot whose position is past the partition's checkpoint position was written
     * after the cut (the slot of now, or a late event's): it is {@linkplain Slots#moved moved}.
     */
    @Override
    public Slots topKSlots(int partition) {
      TopKSlots stored = new TopKSlots(partition, topK);
      topKStore.load(stored, topK.windows(), clock.millis());
      Long cut = positions.get(partition);
      Map<SlotKey, ItemsSketch<String>> slots = new HashMap<>();
      Set<SlotKey> moved = new HashSet<>();
      stored.forEach(
          (k, slot) -> {
            if (cut == null || slot.position() > cut) {
              moved.add(k);
            } else {
              slots.put(k, slot.sketch());
            }
          });
      return new Slots(slots, moved);
    }

    @Override
    public Row read(CounterKey key) {
      List<com.datastax.oss.driver.api.core.cql.Row> found =
          execute(
              readRow.bind(
                  key.entity(), key.type(), key.granularity().wireName(), key.bucketStartMillis()));
      Row row =
          found.isEmpty()
              ? new Row(key, 0, 0)
              : new Row(key, found.get(0).getLong(0), found.get(0).getLong(1));
      served.put(key, row);
      return row;
    }

    /**
     * {@inheritDoc} A row neither listed nor read by this cut was absent (0) in it.
     *
     * @throws UnsupportedOperationException without a correction log
     * @throws TallyException if the append failed, or the materializer did not apply it in time
     *     (then it is applied later: the next recount's cut holds it)
     */
    @Override
    public void replace(List<Row> rows) {
      if (!rows.isEmpty()) {
        replace(
            DerivedEntities.writerPartition(rows.get(0).key().entity(), partitioner),
            rows,
            List.of());
      }
    }

    /**
     * {@inheritDoc} The rows' and the slots' corrections go in one transaction of the log of
     * deltas; the materializer applies each slot's to the slot as the deltas before it left it.
     */
    @Override
    public void replace(int p, List<Row> rows, List<SlotCorrection> slots) {
      if (corrections == null) {
        throw new UnsupportedOperationException("this store was opened without a correction log");
      }
      if (!slots.isEmpty() && !topK.enabled()) {
        throw new UnsupportedOperationException("this store was opened without Top-K");
      }
      List<RowCorrection> changes = new ArrayList<>();
      for (Row row : rows) {
        if (DerivedEntities.writerPartition(row.key().entity(), partitioner) != p) {
          throw new IllegalArgumentException("rows of several writing partitions: " + rows);
        }
        Row was = served.getOrDefault(row.key(), new Row(row.key(), 0, 0));
        if (row.count() != was.count() || row.sum() != was.sum()) {
          changes.add(
              new RowCorrection(row.key(), row.count() - was.count(), row.sum() - was.sum()));
        }
      }
      if (!changes.isEmpty() || !slots.isEmpty()) {
        long offset = corrections.append(p, changes, slots);
        awaitMaterialized(Map.of(p, offset + 1), "the recount's correction at offset " + offset);
      }
    }

    @Override
    public void close() {}
  }
}
