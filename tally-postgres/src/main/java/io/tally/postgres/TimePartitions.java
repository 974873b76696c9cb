package io.tally.postgres;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.retention.Retention;
import io.tally.core.retention.TimeRanges;
import io.tally.model.Granularity;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The time-range partitions of the minute, hour and day counter rows ({@link CounterSchema}): one
 * table per range of {@link TimeRanges} (a UTC day of minutes, 30 days of hours, 360 days of days),
 * named {@code counters_<granularity>_<index>} where index = range start / span ({@code n<k>} for
 * −k). A partition is made before the first row of its range is written, and dropped whole once
 * every bucket of it is past retention: expiry is a {@code DROP TABLE}, not a mass {@code DELETE}.
 * So a row outlives its retention by at most one range (as in the embedded store, whose range
 * deletes drop the same ranges).
 *
 * <p>Thread-safe. Every DDL statement runs in its own short transaction: creating a partition locks
 * its parent table, which must not wait on a sink's transaction. Writers that create the same
 * partition at once are told it exists, which is what they wanted.
 */
final class TimePartitions {
  private static final Logger LOG = LoggerFactory.getLogger(TimePartitions.class);
  private static final String DUPLICATE_TABLE = "42P07";
  private static final String UNIQUE_VIOLATION = "23505";

  private final Set<String> known = ConcurrentHashMap.newKeySet();

  /** The partition holding {@code key}'s row; null for a total (one table, never dropped). */
  static String name(Granularity g, long bucketStartMillis) {
    if (g == Granularity.TOTAL) {
      return null;
    }
    long index = Math.floorDiv(bucketStartMillis, TimeRanges.spanMillis(g));
    return "counters_" + g.wireName() + "_" + (index < 0 ? "n" + -index : Long.toString(index));
  }

  /**
   * Makes the partitions {@code keys}' rows need, if missing (autocommit on {@code c}).
   *
   * @throws SQLException if PostgreSQL fails
   */
  void ensure(Connection c, Collection<CounterKey> keys) throws SQLException {
    for (CounterKey k : keys) {
      String table = name(k.granularity(), k.bucketStartMillis());
      if (table == null || known.contains(table)) {
        continue;
      }
      long from = TimeRanges.rangeStart(k.granularity(), k.bucketStartMillis());
      long to = from + TimeRanges.spanMillis(k.granularity());
      try (Statement s = c.createStatement()) {
        s.execute(
            "CREATE TABLE IF NOT EXISTS "
                + table
                + " PARTITION OF counters_"
                + k.granularity().wireName()
                + " FOR VALUES FROM ("
                + from
                + ") TO ("
                + to
                + ")");
      } catch (SQLException e) {
        if (!DUPLICATE_TABLE.equals(e.getSQLState()) && !UNIQUE_VIOLATION.equals(e.getSQLState())) {
          throw e;
        }
      }
      known.add(table);
    }
  }

  /**
   * Drops every range partition whose buckets are all past {@code retention} at {@code nowMillis}
   * (autocommit on {@code c}).
   *
   * @return the partitions dropped
   * @throws SQLException if PostgreSQL fails
   */
  List<String> dropExpired(Connection c, Retention retention, long nowMillis) throws SQLException {
    List<String> dropped = new ArrayList<>();
    for (Granularity g : Granularity.TIMED) {
      long oldest = retention.oldestRetainedBucket(g, nowMillis);
      if (oldest == Long.MIN_VALUE) {
        continue;
      }
      for (String table : partitions(c, g)) {
        long index = index(table, g);
        long end = (index + 1) * TimeRanges.spanMillis(g);
        if (end <= oldest) {
          try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + table);
          }
          known.remove(table);
          dropped.add(table);
        }
      }
    }
    if (!dropped.isEmpty()) {
      LOG.info("dropped {} counter partitions past retention: {}", dropped.size(), dropped);
    }
    return dropped;
  }

  /** The range partitions of {@code g} in the current schema. */
  static List<String> partitions(Connection c, Granularity g) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT child.relname FROM pg_inherits i"
                + " JOIN pg_class child ON child.oid = i.inhrelid"
                + " JOIN pg_class parent ON parent.oid = i.inhparent"
                + " JOIN pg_namespace n ON n.oid = parent.relnamespace"
                + " WHERE parent.relname = ? AND n.nspname = current_schema()"
                + " ORDER BY child.relname")) {
      s.setString(1, "counters_" + g.wireName());
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(r.getString(1));
        }
      }
    }
    return out;
  }

  private static long index(String table, Granularity g) {
    String suffix = table.substring(("counters_" + g.wireName() + "_").length());
    return suffix.startsWith("n") ? -Long.parseLong(suffix.substring(1)) : Long.parseLong(suffix);
  }
}
