package io.tally.postgres;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.retention.Retention;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import io.tally.core.store.DeltaSource;
import io.tally.core.topk.TopKConfig;
import io.tally.model.TallyException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Cluster mode's {@link DeltaSink} on PostgreSQL: applies batches read back from the deltas topic
 * to the counter rows, and each partition's newest checkpoint to the {@code progress} table, in one
 * transaction per {@link #writeAll} — so a checkpoint never claims more than is applied, and a
 * failed write applies nothing.
 *
 * <h2>Idempotent by position (DESIGN.md invariant 5)</h2>
 *
 * Every batch must carry its {@link DeltaSource}; its position is {@code generation × 2^40 +
 * offset} ({@link DeltaSource#position}). The transaction first locks the {@code delta_positions}
 * rows of the batches' source partitions ({@code SELECT … FOR UPDATE}, in partition order), which
 * holds each partition's last applied position: a batch at or below it is a replay and is skipped
 * whole, and a second writer of the partition (a zombie materializer) waits for the first and then
 * skips what it applied. Each counter row also carries the position of its last delta, and its
 * upsert adds only when that is older ({@link CounterUpserts}); the progress row likewise. The new
 * positions commit with the rows.
 *
 * <p>Rows past retention are not written, and the time-range partitions rows need are made before
 * the transaction; every hour, the partitions wholly past retention are dropped ({@link
 * TimePartitions}).
 *
 * <p>The minute deltas also feed the Top-K slots ({@code topk_slots}, {@link TopKSteps}), written
 * in the same transaction under the same guards.
 *
 * <p>Thread-safe: one transaction at a time per sink (a materializer has one); several sinks
 * (nodes) may write at once, serialized per partition by the lock.
 */
public final class PostgresDeltaSink implements DeltaSink {
  private static final String PROGRESS =
      "INSERT INTO progress AS p (partition, next_offset, last_append, as_of, position)"
          + " VALUES (?, ?, ?, ?, ?) ON CONFLICT (partition) DO UPDATE SET"
          + " next_offset = excluded.next_offset, last_append = excluded.last_append,"
          + " as_of = excluded.as_of, position = excluded.position"
          + " WHERE p.position < excluded.position";

  private static final long EXPIRY_INTERVAL_MILLIS = 3_600_000;

  private final PostgresCounterStore store;
  private final InstantSource clock;
  private final Generations generations;
  private final TopKSteps topK;
  private final TimePartitions ranges = new TimePartitions();
  private long expiredAtMillis = Long.MIN_VALUE; // guarded by this

  /**
   * @param topK the Top-K windows the minute deltas also feed ({@link TopKConfig#DISABLED} for
   *     counters only)
   * @param clock the time retention and Top-K windows are measured from (rows already past
   *     retention are not written)
   */
  public PostgresDeltaSink(PostgresCounterStore store, TopKConfig topK, InstantSource clock) {
    this.store = requireNonNull(store, "store");
    this.clock = requireNonNull(clock, "clock");
    this.generations = new Generations(store);
    this.topK = new TopKSteps(requireNonNull(topK, "topK"));
  }

  /**
   * Applies one sourced batch, idempotently.
   *
   * @throws IllegalArgumentException if the batch has no source
   * @throws TallyException if PostgreSQL failed: nothing of the batch is applied
   */
  @Override
  public void write(DeltaBatch batch) {
    writeAll(List.of(batch));
  }

  /**
   * Applies sourced batches (of each source partition in offset order) in one transaction, skipping
   * those already applied.
   *
   * @throws IllegalArgumentException if a batch has no source
   * @throws TallyException if PostgreSQL failed: nothing of the batches is applied
   */
  @Override
  public synchronized void writeAll(List<DeltaBatch> batches) {
    for (DeltaBatch b : batches) {
      if (b.source() == null) {
        throw new IllegalArgumentException(
            "PostgreSQL applies deltas idempotently by their position: a batch needs its source");
      }
    }
    if (batches.isEmpty()) {
      return;
    }
    long now = clock.millis();
    try (Connection c = store.connection()) {
      ensureRanges(c, batches, now);
      if (now - expiredAtMillis >= EXPIRY_INTERVAL_MILLIS) {
        ranges.dropExpired(c, store.settings().retention(), now);
        expiredAtMillis = now;
      }
      c.setAutoCommit(false);
      try {
        TopKSteps.Step slots = topK.step(c, now);
        Map<Integer, Long> applied = apply(c, batches, slots, now);
        c.commit();
        slots.committed(applied);
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new TallyException("applying deltas to PostgreSQL failed: " + e.getMessage(), e);
    }
  }

  /** Makes the time-range partitions the batches' rows need (before the transaction: DDL). */
  private void ensureRanges(Connection c, List<DeltaBatch> batches, long nowMillis)
      throws SQLException {
    Retention retention = store.settings().retention();
    Set<CounterKey> keys = new HashSet<>();
    for (DeltaBatch b : batches) {
      for (CounterDelta d : b.deltas()) {
        CounterKey k = d.key();
        if (retention.retains(k.granularity(), k.bucketStartMillis(), nowMillis)) {
          keys.add(k);
        }
      }
    }
    ranges.ensure(c, keys);
  }

  /**
   * Drops the counter partitions whose rows are all past retention now (the sink also does this
   * every hour as it writes).
   *
   * @return the partitions dropped
   * @throws TallyException if PostgreSQL failed
   */
  public synchronized List<String> dropExpired() {
    long now = clock.millis();
    try (Connection c = store.connection()) {
      List<String> dropped = ranges.dropExpired(c, store.settings().retention(), now);
      expiredAtMillis = now;
      return dropped;
    } catch (SQLException e) {
      throw new TallyException("dropping expired counter partitions failed: " + e.getMessage(), e);
    }
  }

  /**
   * Applies the batches not applied before in transaction {@code c}.
   *
   * @return each source partition's applied position once {@code c} commits
   */
  private Map<Integer, Long> apply(
      Connection c, List<DeltaBatch> batches, TopKSteps.Step slots, long nowMillis)
      throws SQLException {
    TreeMap<Integer, Long> applied =
        lockPositions(c, batches.stream().map(b -> b.source().partition()).toList());
    Map<Integer, Long> before = Map.copyOf(applied);
    long generation = generations.current();
    CounterUpserts rows = new CounterUpserts(store.settings().retention(), nowMillis);
    Map<Integer, Checkpoint> checkpoints = new TreeMap<>();
    Map<Integer, Long> checkpointPositions = new TreeMap<>();
    for (DeltaBatch b : batches) {
      int partition = b.source().partition();
      long position = b.source().position(generation);
      if (position <= applied.get(partition)) {
        continue; // applied before (a replay), or a duplicate in this call
      }
      applied.put(partition, position);
      rows.add(b.deltas(), position);
      slots.add(partition, before.get(partition), position, b.deltas());
      for (Checkpoint cp : b.checkpoints()) {
        checkpoints.put(cp.partition(), cp);
        checkpointPositions.put(cp.partition(), position);
      }
    }
    rows.write(c);
    slots.write();
    writeProgress(c, checkpoints, checkpointPositions);
    try (PreparedStatement s =
        c.prepareStatement("UPDATE delta_positions SET position = ? WHERE partition = ?")) {
      for (Map.Entry<Integer, Long> e : applied.entrySet()) {
        if (!e.getValue().equals(before.get(e.getKey()))) {
          s.setLong(1, e.getValue());
          s.setInt(2, e.getKey());
          s.addBatch();
        }
      }
      s.executeBatch();
    }
    return applied;
  }

  /**
   * Locks the {@code delta_positions} rows of {@code partitions} (creating missing ones at position
   * −1), in partition order so two writers never wait on each other in a cycle. A recount's
   * replacement takes the same lock ({@link PostgresCounterRows}), so no step of the partition
   * commits in between.
   *
   * @return each partition's last applied position
   */
  static TreeMap<Integer, Long> lockPositions(Connection c, Collection<Integer> partitions)
      throws SQLException {
    TreeMap<Integer, Long> applied = new TreeMap<>();
    for (int p : partitions) {
      applied.put(p, -1L);
    }
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO delta_positions (partition, position) VALUES (?, -1)"
                + " ON CONFLICT (partition) DO NOTHING")) {
      for (int p : applied.keySet()) {
        s.setInt(1, p);
        s.addBatch();
      }
      s.executeBatch();
    }
    Integer[] locked = applied.keySet().toArray(Integer[]::new);
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT partition, position FROM delta_positions WHERE partition = ANY (?)"
                + " ORDER BY partition FOR UPDATE")) {
      s.setArray(1, c.createArrayOf("integer", locked));
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          applied.put(r.getInt(1), r.getLong(2));
        }
      }
    }
    return applied;
  }

  private static void writeProgress(
      Connection c, Map<Integer, Checkpoint> checkpoints, Map<Integer, Long> positions)
      throws SQLException {
    if (checkpoints.isEmpty()) {
      return;
    }
    try (PreparedStatement s = c.prepareStatement(PROGRESS)) {
      for (Checkpoint cp : checkpoints.values()) {
        s.setInt(1, cp.partition());
        s.setLong(2, cp.nextOffset());
        s.setLong(3, cp.lastAppendTimeMillis());
        s.setLong(4, cp.asOfMillis());
        s.setLong(5, positions.get(cp.partition()));
        s.addBatch();
      }
      s.executeBatch();
    }
  }

  /** Adopts the deltas topic's id: a recreated topic's positions start a new generation. */
  @Override
  public void sourceIdentity(UUID source) {
    generations.adopt(source);
  }

  /** The generation of the positions: 1, or that of the adopted source. */
  public long generation() {
    return generations.current();
  }

  @Override
  public Optional<Checkpoint> checkpoint(int partition) {
    return store.checkpoint(partition);
  }
}
