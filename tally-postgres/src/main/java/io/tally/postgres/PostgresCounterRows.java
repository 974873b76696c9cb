package io.tally.postgres;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.partition.Partitioner;
import io.tally.core.recount.CounterRows;
import io.tally.core.store.Checkpoint;
import io.tally.model.Granularity;
import io.tally.model.TallyException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The PostgreSQL counter rows as a recount sees them ({@link CounterRows}), on every shard of a
 * {@link PostgresShards}.
 *
 * <h2>The cut: one snapshot per shard</h2>
 *
 * The materializer's sink commits a step's rows and checkpoints of a shard in one transaction
 * ({@link PostgresDeltaSink}), and a partition's rows and checkpoint live on one shard. So a {@link
 * #snapshot} opens a {@code REPEATABLE READ READ ONLY} transaction on each shard and reads
 * everything through it: each partition's rows hold exactly the deltas of the events below its
 * checkpoint as of that transaction.
 *
 * <h2>The swap: a transaction that adds</h2>
 *
 * The sink adds each delta in SQL ({@code count = c.count + excluded.count}, {@link
 * CounterUpserts}) and caches no row value, so a recount writes its rows itself: in one transaction
 * on the partition's shard it locks the partition's {@code delta_positions} row ({@code FOR
 * UPDATE}, as the sink does, so no step of the partition commits in between) and adds {@code value
 * − value in the snapshot} to each row, leaving the row's position as it is (a row the recount adds
 * gets the partition's applied position, below every delta still to come). A delta applied after
 * the snapshot stays added on top: nothing lost or counted twice. A row left at count and sum 0 is
 * deleted (the sink's reads would list a 0 bucket). Two recounts must not correct the same cut: the
 * caller serializes them. The transaction commits before {@link Snapshot#replace} returns, so the
 * next snapshot holds it.
 *
 * <p>Top-K slots are not rebuilt here ({@link #topK()} stays disabled): the sink caches a
 * partition's slots by its applied position, which a recount does not move.
 *
 * <p>Thread-safe; each snapshot is used by one thread.
 */
public final class PostgresCounterRows implements CounterRows {
  private static final String SELECT_ROW =
      "SELECT count, sum FROM counters WHERE entity = ? AND type = ? AND granularity = ?"
          + " AND bucket = ?";
  private static final String ADD =
      "INSERT INTO counters AS c (entity, type, granularity, bucket, count, sum, actors, position)"
          + " VALUES (?, ?, ?, ?, ?, ?, NULL, ?)"
          + " ON CONFLICT (entity, type, granularity, bucket) DO UPDATE SET"
          + " count = c.count + excluded.count, sum = c.sum + excluded.sum";
  private static final String DELETE_EMPTY =
      "DELETE FROM counters WHERE entity = ? AND type = ? AND granularity = ? AND bucket = ?"
          + " AND count = 0 AND sum = 0";

  private final PostgresShards shards;
  private final Partitioner partitioner;
  private final TimePartitions ranges = new TimePartitions();

  /**
   * @param partitions P, the number of event partitions (to find each row's writing partition)
   */
  public PostgresCounterRows(PostgresShards shards, int partitions) {
    this.shards = requireNonNull(shards, "shards");
    this.partitioner = new Partitioner(partitions);
  }

  @Override
  public CounterRows.Snapshot snapshot() {
    List<Connection> opened = new ArrayList<>();
    try {
      for (int i = 0; i < shards.size(); i++) {
        Connection c = shards.shard(i).connection();
        opened.add(c);
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        c.setReadOnly(true);
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM progress LIMIT 1")) {
          s.executeQuery().close(); // the transaction's snapshot is taken at its first query
        }
      }
      return new Cut(opened);
    } catch (SQLException e) {
      opened.forEach(Cut::closeQuietly);
      throw new TallyException("opening a snapshot of PostgreSQL failed: " + e.getMessage(), e);
    }
  }

  /** The rows as of one snapshot transaction per shard. */
  private final class Cut implements CounterRows.Snapshot {
    private final List<Connection> shardSnapshots;

    Cut(List<Connection> shardSnapshots) {
      this.shardSnapshots = shardSnapshots;
    }

    @Override
    public Optional<Checkpoint> checkpoint(int partition) {
      Connection c = shardSnapshots.get(shards.indexOfPartition(partition));
      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT next_offset, last_append, as_of FROM progress WHERE partition = ?")) {
        s.setInt(1, partition);
        try (ResultSet r = s.executeQuery()) {
          return r.next()
              ? Optional.of(new Checkpoint(partition, r.getLong(1), r.getLong(2), r.getLong(3)))
              : Optional.empty();
        }
      } catch (SQLException e) {
        throw failed("reading the checkpoint of partition " + partition, e);
      }
    }

    @Override
    public void forEachRow(
        Granularity granularity, long fromMillis, long toMillis, Consumer<Row> each) {
      for (Connection c : shardSnapshots) {
        try (PreparedStatement s =
            c.prepareStatement(
                "SELECT entity, type, bucket, count, sum FROM counters WHERE granularity = ?"
                    + " AND bucket >= ? AND bucket < ? AND count <> 0")) {
          s.setString(1, granularity.wireName());
          s.setLong(2, fromMillis);
          s.setLong(3, toMillis);
          try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
              each.accept(
                  new Row(
                      new CounterKey(r.getString(1), r.getString(2), granularity, r.getLong(3)),
                      r.getLong(4),
                      r.getLong(5)));
            }
          }
        } catch (SQLException e) {
          throw failed("reading the " + granularity.wireName() + " rows of a recount", e);
        }
      }
    }

    @Override
    public Row read(CounterKey key) {
      try {
        return read(shardSnapshots.get(shards.indexOfEntity(key.entity())), key);
      } catch (SQLException e) {
        throw failed("reading counter " + key, e);
      }
    }

    private Row read(Connection c, CounterKey key) throws SQLException {
      try (PreparedStatement s = c.prepareStatement(SELECT_ROW)) {
        bindKey(s, key);
        try (ResultSet r = s.executeQuery()) {
          return r.next() ? new Row(key, r.getLong(1), r.getLong(2)) : new Row(key, 0, 0);
        }
      }
    }

    @Override
    public void replace(List<Row> rows) {
      if (rows.isEmpty()) {
        return;
      }
      int p = DerivedEntities.writerPartition(rows.get(0).key().entity(), partitioner);
      Map<CounterKey, long[]> changes = new HashMap<>();
      for (Row row : rows) {
        if (DerivedEntities.writerPartition(row.key().entity(), partitioner) != p) {
          throw new IllegalArgumentException("rows of several writing partitions: " + rows);
        }
        Row was = read(row.key());
        if (row.count() != was.count() || row.sum() != was.sum()) {
          changes.put(row.key(), new long[] {row.count() - was.count(), row.sum() - was.sum()});
        }
      }
      if (!changes.isEmpty()) {
        add(p, changes);
      }
    }

    /** Adds {@code changes} to partition {@code p}'s rows in one transaction on its shard. */
    private void add(int p, Map<CounterKey, long[]> changes) {
      try (Connection c = shards.shard(shards.indexOfPartition(p)).connection()) {
        ranges.ensure(c, changes.keySet()); // DDL, before the transaction
        c.setAutoCommit(false);
        try {
          long applied = PostgresDeltaSink.lockPositions(c, List.of(p)).get(p);
          try (PreparedStatement add = c.prepareStatement(ADD);
              PreparedStatement delete = c.prepareStatement(DELETE_EMPTY)) {
            for (Map.Entry<CounterKey, long[]> e : changes.entrySet()) {
              bindKey(add, e.getKey());
              add.setLong(5, e.getValue()[0]);
              add.setLong(6, e.getValue()[1]);
              add.setLong(7, applied);
              add.addBatch();
              bindKey(delete, e.getKey());
              delete.addBatch();
            }
            add.executeBatch();
            delete.executeBatch();
          }
          c.commit();
        } catch (SQLException | RuntimeException e) {
          c.rollback();
          throw e;
        }
      } catch (SQLException e) {
        throw failed("replacing " + changes.size() + " recounted rows of partition " + p, e);
      }
    }

    @Override
    public void close() {
      shardSnapshots.forEach(Cut::closeQuietly);
    }

    private static void closeQuietly(Connection c) {
      try {
        c.rollback();
        c.setReadOnly(false);
        c.setAutoCommit(true);
        c.close();
      } catch (SQLException ignored) {
        // the pool discards a broken connection
      }
    }
  }

  private static void bindKey(PreparedStatement s, CounterKey key) throws SQLException {
    s.setString(1, key.entity());
    s.setString(2, key.type());
    s.setString(3, key.granularity().wireName());
    s.setLong(4, key.bucketStartMillis());
  }

  private static TallyException failed(String what, SQLException e) {
    return new TallyException(what + " in PostgreSQL failed: " + e.getMessage(), e);
  }
}
