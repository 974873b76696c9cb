package io.tally.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.retention.TimeRanges;
import io.tally.model.Granularity;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;

/**
 * The lowest and highest {@code range_start} of the counters partitions ever written, per
 * granularity (table {@code extents}). A series query reads only the partitions inside them, so an
 * open range such as {@code [0, ∞)} costs a few reads, not one per day since 1970, and no per-row
 * index has to be written.
 *
 * <p>Writers widen the extents with lightweight transactions (compare-and-set, retried) before
 * writing rows outside them, so a reader that sees a row also sees extents that cover it. That
 * happens when a new day (minute rows), 30 days (hour rows) or 360 days (day rows) begins: a
 * handful of times a day in all. Thread-safe.
 */
final class Extents {
  private final CqlSession session;
  private final CassandraSettings settings;
  private final PreparedStatement read;
  private final PreparedStatement insert;
  private final PreparedStatement setMin;
  private final PreparedStatement setMax;

  /** What this writer knows to be covered already; only ever widens. */
  private final Map<Granularity, long[]> known = new EnumMap<>(Granularity.class);

  Extents(CqlSession session, CassandraSettings settings) {
    this.session = session;
    this.settings = settings;
    String ks = settings.keyspace();
    read =
        session.prepare(
            "SELECT min_range, max_range FROM " + ks + ".extents WHERE granularity = ?");
    insert =
        session.prepare(
            "INSERT INTO "
                + ks
                + ".extents (granularity, min_range, max_range) VALUES (?, ?, ?) IF NOT EXISTS");
    setMin =
        session.prepare(
            "UPDATE " + ks + ".extents SET min_range = ? WHERE granularity = ? IF min_range = ?");
    setMax =
        session.prepare(
            "UPDATE " + ks + ".extents SET max_range = ? WHERE granularity = ? IF max_range = ?");
  }

  /** Widens the stored extents, if needed, to cover the partitions of {@code keys}. Blocks. */
  synchronized void cover(Collection<CounterKey> keys) {
    Map<Granularity, long[]> wanted = new EnumMap<>(Granularity.class);
    for (CounterKey k : keys) {
      if (k.granularity() == Granularity.TOTAL) {
        continue;
      }
      long r = TimeRanges.rangeStart(k.granularity(), k.bucketStartMillis());
      long[] have = known.get(k.granularity());
      if (have != null && r >= have[0] && r <= have[1]) {
        continue;
      }
      long[] w = wanted.computeIfAbsent(k.granularity(), g -> new long[] {r, r});
      w[0] = Math.min(w[0], r);
      w[1] = Math.max(w[1], r);
    }
    wanted.forEach(this::widen);
  }

  private void widen(Granularity g, long[] want) {
    String gran = g.wireName();
    while (true) {
      Row row =
          session
              .execute(read.bind(gran).setConsistencyLevel(DefaultConsistencyLevel.SERIAL))
              .one();
      if (row == null) {
        if (session.execute(insert.bind(gran, want[0], want[1])).wasApplied()) {
          known.put(g, want.clone());
          return;
        }
        continue;
      }
      long min = row.getLong(0);
      long max = row.getLong(1);
      if (want[0] < min && !session.execute(setMin.bind(want[0], gran, min)).wasApplied()) {
        continue;
      }
      if (want[1] > max && !session.execute(setMax.bind(want[1], gran, max)).wasApplied()) {
        continue;
      }
      known.put(g, new long[] {Math.min(min, want[0]), Math.max(max, want[1])});
      return;
    }
  }

  /** The stored extents of {@code g} as {min, max}, or null if nothing of it was written. */
  static long[] read(CqlSession session, PreparedStatement read, Granularity g) {
    Row row = session.execute(read.bind(g.wireName())).one();
    return row == null ? null : new long[] {row.getLong(0), row.getLong(1)};
  }
}
