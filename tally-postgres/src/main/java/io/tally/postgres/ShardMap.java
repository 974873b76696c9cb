package io.tally.postgres;

import io.tally.model.TallyException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shard map of a sharded PostgreSQL store: each shard's {@code shard_map} row says which store
 * it belongs to (a random id), which shard it is, of how many, for how many event partitions.
 * Partition p lives on shard {@code p mod shards}, so the list of shards is part of where data is:
 * a list in another order, with a shard added or removed, or another partition count, would read
 * and write partitions on the wrong shard. {@link #check} refuses all of these at start.
 *
 * <p>Stateless.
 */
final class ShardMap {
  private static final Logger LOG = LoggerFactory.getLogger(ShardMap.class);

  /** One shard's stored row, or null fields when it has none. */
  record Entry(UUID storeId, int shard, int shards, int partitions) {}

  private ShardMap() {}

  /**
   * Records the map when no shard has one (a new store; shard 0's id is the store's), completes a
   * recording that stopped half-way, then checks that every shard holds the map of the list given
   * now.
   *
   * @param shards the stores of the shards, in the order of the configured list
   * @param names how to name each shard in messages (its URL)
   * @throws TallyException naming the first shard whose stored place differs
   */
  static void check(List<PostgresCounterStore> shards, List<String> names, int partitions) {
    try {
      int n = shards.size();
      List<Entry> stored = readAll(shards);
      if (stored.stream().allMatch(e -> e == null)) {
        write(shards.get(0), new Entry(UUID.randomUUID(), 0, n, partitions));
      }
      // shard 0 decides the store's id, so nodes that make a new store together agree on it; a
      // start that stopped half-way through recording is completed
      Entry first = read(shards.get(0));
      if (first != null && first.shard() == 0 && first.shards() == n) {
        for (int i = 1; i < n; i++) {
          if (stored.get(i) == null) {
            write(shards.get(i), new Entry(first.storeId(), i, n, first.partitions()));
          }
        }
      }
      stored = readAll(shards);
      verify(stored, names, partitions);
    } catch (SQLException e) {
      throw new TallyException("cannot read or record the shard map: " + e.getMessage(), e);
    }
  }

  /**
   * Checks that {@code replica} is a copy of {@code primary}: a replica that holds another shard's
   * map (another shard's replica, or another store's) is refused. One that cannot be read yet
   * (down, or not caught up with the schema) passes: its reads fall back to the primary until it
   * serves.
   *
   * @throws TallyException naming the replica and what it holds
   */
  static void checkReplica(PostgresCounterStore primary, PostgresCounterStore replica) {
    Entry mine;
    try {
      mine = read(primary);
    } catch (SQLException e) {
      throw new TallyException("cannot read the shard map: " + e.getMessage(), e);
    }
    Entry theirs;
    try {
      theirs = read(replica);
    } catch (SQLException e) {
      LOG.warn(
          "cannot read the shard map of the replica {} ({}); its shard's reads go to the primary"
              + " until it answers",
          replica.settings().jdbcUrl(),
          e.getMessage());
      return;
    }
    if (theirs != null && !theirs.equals(mine)) {
      throw new TallyException(
          "refusing PostgreSQL replica "
              + replica.settings().jdbcUrl()
              + " of shard "
              + (mine == null ? "?" : mine.shard())
              + " ("
              + primary.settings().jdbcUrl()
              + "): it is a copy of shard "
              + theirs.shard()
              + " of store "
              + theirs.storeId()
              + ", not of this shard; give the replicas in the order of the shards, empty for"
              + " none (docs/postgres.md)");
    }
  }

  private static void verify(List<Entry> stored, List<String> names, int partitions) {
    int n = stored.size();
    UUID store = null;
    for (int i = 0; i < n; i++) {
      Entry e = stored.get(i);
      String problem = null;
      if (e == null) {
        problem = "holds no shard map while the others do (a shard added to the list?)";
      } else if (store != null && !store.equals(e.storeId())) {
        problem = "belongs to another sharded store (" + e.storeId() + ", not " + store + ")";
      } else if (e.shard() != i || e.shards() != n) {
        problem =
            "is shard "
                + e.shard()
                + " of "
                + e.shards()
                + ", but the list makes it shard "
                + i
                + " of "
                + n;
      } else if (e.partitions() != partitions) {
        problem = "was made for " + e.partitions() + " partitions, not " + partitions;
      }
      if (problem != null) {
        throw new TallyException(
            "refusing a changed PostgreSQL shard list: "
                + names.get(i)
                + " "
                + problem
                + "; partition p lives on shard p mod "
                + (e == null ? n : e.shards())
                + ", so a changed list would misroute partitions. Give the shards in their"
                + " original order (docs/postgres.md)");
      }
      store = e.storeId();
    }
  }

  private static List<Entry> readAll(List<PostgresCounterStore> shards) throws SQLException {
    List<Entry> out = new ArrayList<>();
    for (PostgresCounterStore s : shards) {
      out.add(read(s));
    }
    return out;
  }

  private static Entry read(PostgresCounterStore s) throws SQLException {
    try (Connection c = s.connection();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT store_id, shard, shards, partitions FROM shard_map WHERE name = 'shards'");
        ResultSet r = st.executeQuery()) {
      return r.next()
          ? new Entry(r.getObject(1, UUID.class), r.getInt(2), r.getInt(3), r.getInt(4))
          : null;
    }
  }

  private static void write(PostgresCounterStore s, Entry e) throws SQLException {
    try (Connection c = s.connection();
        PreparedStatement st =
            c.prepareStatement(
                "INSERT INTO shard_map (name, store_id, shard, shards, partitions)"
                    + " VALUES ('shards', ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING")) {
      st.setObject(1, e.storeId());
      st.setInt(2, e.shard());
      st.setInt(3, e.shards());
      st.setInt(4, e.partitions());
      st.executeUpdate();
    }
  }
}
