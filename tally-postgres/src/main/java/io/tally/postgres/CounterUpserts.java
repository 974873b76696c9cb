package io.tally.postgres;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.retention.Retention;
import io.tally.core.uniques.ActorSketch;
import io.tally.model.Granularity;
import io.tally.model.Sums;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The counter rows of one transaction of the {@link PostgresDeltaSink}: the deltas of its batches,
 * added up per row, then written with one upsert per row that adds them only if the row's stored
 * position is older than all of them (DESIGN.md invariant 5):
 *
 * <pre>
 * INSERT INTO counters AS c … VALUES (…, position of the last delta)
 * ON CONFLICT (entity, type, granularity, bucket) DO UPDATE SET
 *   count = c.count + excluded.count, sum = least(c.sum + excluded.sum, 2^63 − 1), …,
 *   position = excluded.position
 * WHERE c.position &lt; position of the first delta
 * </pre>
 *
 * The sink's lock on the partitions' applied positions already skips every batch applied before, so
 * every row is older than all its deltas here; the rows' own positions are the second guard, which
 * refuses any sum that overlaps what a row has (it never counts a delta twice).
 *
 * <p>A row's actor sketch cannot be unioned in SQL: the stored sketches of the rows that get actors
 * are read first (in the same transaction, whose lock on the partitions' positions keeps other
 * writers out), and the union is written under the same guard.
 *
 * <p>Not thread-safe: one per transaction.
 */
final class CounterUpserts {
  private static final String UPSERT =
      "INSERT INTO counters AS c (entity, type, granularity, bucket, count, sum, actors, position)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
          + " ON CONFLICT (entity, type, granularity, bucket) DO UPDATE SET"
          + " count = c.count + excluded.count,"
          + " sum = least(c.sum::numeric + excluded.sum, "
          + Sums.OVERFLOW
          + ")::bigint,"
          + " actors = coalesce(excluded.actors, c.actors),"
          + " position = excluded.position"
          + " WHERE c.position < ?";

  private static final String STORED_ACTORS =
      "SELECT c.entity, c.type, c.granularity, c.bucket, c.actors FROM counters c"
          + " JOIN unnest(?::text[], ?::text[], ?::text[], ?::bigint[])"
          + " AS k(entity, type, granularity, bucket)"
          + " USING (entity, type, granularity, bucket) WHERE c.actors IS NOT NULL";

  /** A row's deltas of this transaction, added up, and the position of the last. */
  private static final class Sum {
    long count;
    long sum;
    ActorSketch actors;
    long firstPosition = -1;
    long position;
  }

  private final Retention retention;
  private final long nowMillis;
  private final Map<CounterKey, Sum> rows = new LinkedHashMap<>();

  /**
   * @param retention rows past it are not written (they would be dropped at once)
   * @param nowMillis the time retention is measured from
   */
  CounterUpserts(Retention retention, long nowMillis) {
    this.retention = retention;
    this.nowMillis = nowMillis;
  }

  /** Adds the deltas of a batch at {@code position} (higher than any added before). */
  void add(List<CounterDelta> deltas, long position) {
    for (CounterDelta d : deltas) {
      CounterKey k = d.key();
      if (!retention.retains(k.granularity(), k.bucketStartMillis(), nowMillis)) {
        continue;
      }
      Sum s = rows.computeIfAbsent(k, key -> new Sum());
      s.count += d.count();
      s.sum = Sums.add(s.sum, d.sum());
      if (d.actors() != null) {
        s.actors = ActorSketch.merge(s.actors, d.actors());
      }
      if (s.firstPosition < 0) {
        s.firstPosition = position;
      }
      s.position = position;
    }
  }

  /** How many rows {@link #write} upserts. */
  int size() {
    return rows.size();
  }

  /** Upserts every row (in the caller's transaction). */
  void write(Connection c) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    Map<CounterKey, ActorSketch> stored = storedActors(c);
    try (PreparedStatement s = c.prepareStatement(UPSERT)) {
      for (Map.Entry<CounterKey, Sum> e : rows.entrySet()) {
        CounterKey k = e.getKey();
        Sum v = e.getValue();
        s.setString(1, k.entity());
        s.setString(2, k.type());
        s.setString(3, k.granularity().wireName());
        s.setLong(4, k.bucketStartMillis());
        s.setLong(5, v.count);
        s.setLong(6, v.sum);
        if (v.actors == null) {
          s.setNull(7, Types.BINARY);
        } else {
          s.setBytes(7, ActorSketch.merge(stored.get(k), v.actors).toBytes());
        }
        s.setLong(8, v.position);
        s.setLong(9, v.firstPosition);
        s.addBatch();
      }
      s.executeBatch();
    }
  }

  /** The stored sketches of the rows this transaction adds actors to. */
  private Map<CounterKey, ActorSketch> storedActors(Connection c) throws SQLException {
    List<CounterKey> keys = new ArrayList<>();
    rows.forEach(
        (k, v) -> {
          if (v.actors != null) {
            keys.add(k);
          }
        });
    Map<CounterKey, ActorSketch> out = new HashMap<>();
    if (keys.isEmpty()) {
      return out;
    }
    int n = keys.size();
    String[] entities = new String[n];
    String[] types = new String[n];
    String[] granularities = new String[n];
    Long[] buckets = new Long[n];
    for (int i = 0; i < n; i++) {
      CounterKey k = keys.get(i);
      entities[i] = k.entity();
      types[i] = k.type();
      granularities[i] = k.granularity().wireName();
      buckets[i] = k.bucketStartMillis();
    }
    try (PreparedStatement s = c.prepareStatement(STORED_ACTORS)) {
      s.setArray(1, c.createArrayOf("text", entities));
      s.setArray(2, c.createArrayOf("text", types));
      s.setArray(3, c.createArrayOf("text", granularities));
      s.setArray(4, c.createArrayOf("bigint", buckets));
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          CounterKey k =
              new CounterKey(
                  r.getString(1),
                  r.getString(2),
                  Granularity.fromWireName(r.getString(3)),
                  r.getLong(4));
          out.put(k, ActorSketch.fromBytes(r.getBytes(5), "counter row " + k));
        }
      }
    }
    return out;
  }
}
