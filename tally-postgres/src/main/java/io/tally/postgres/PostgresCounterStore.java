package io.tally.postgres;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.store.AsOfMemo;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.CounterStore;
import io.tally.core.store.ReadReport;
import io.tally.core.uniques.ActorSketch;
import io.tally.model.Bucket;
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
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Cluster mode's counter store on PostgreSQL: the rows the {@link PostgresDeltaSink} writes (layout
 * in {@link CounterSchema}), read from the primary through a HikariCP pool. Owns the pool, which
 * the sink and the {@link PostgresApiKeyStore} share, and migrates the schema when it opens.
 *
 * <p>A query answers from what the database has and says how fresh it is (DESIGN.md invariant 7):
 * {@link #asOfMillis} is the materialized checkpoint's as-of, read at most every 200 ms. A primary
 * holds one authoritative copy, so reads state no consistency (as the embedded store).
 *
 * <p>Thread-safe.
 */
public final class PostgresCounterStore implements CounterStore, AutoCloseable {
  private static final String ROW = "entity = ? AND type = ? AND granularity = ? AND bucket = ?";
  private static final String SERIES =
      "entity = ? AND type = ? AND granularity = ? AND bucket >= ? AND bucket < ?";

  private final PostgresSettings settings;
  private final HikariDataSource pool;
  private final AsOfMemo asOf = new AsOfMemo();

  private PostgresCounterStore(PostgresSettings settings, HikariDataSource pool) {
    this.settings = settings;
    this.pool = pool;
  }

  /**
   * Connects, creates the schema and applies its migrations when missing.
   *
   * @throws TallyException if PostgreSQL cannot be reached or the schema cannot be migrated
   */
  public static PostgresCounterStore open(PostgresSettings settings) {
    requireNonNull(settings, "settings");
    HikariDataSource pool = pool(settings, false);
    try {
      CounterSchema.migrate(pool, settings.schema());
      return new PostgresCounterStore(settings, pool);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
  }

  /**
   * Connects to a read replica (a hot standby, which refuses writes, so nothing is migrated: its
   * schema is the primary's, streamed). Connections time out after 2 s, so that a replica that is
   * down is soon given up for its primary ({@link ReplicaReadStore}).
   *
   * @throws TallyException if the pool cannot be made (an unreachable replica is not an error here:
   *     its reads fail later)
   */
  static PostgresCounterStore openReplica(PostgresSettings settings) {
    requireNonNull(settings, "settings");
    HikariDataSource pool = pool(settings, true);
    return new PostgresCounterStore(settings, pool);
  }

  private static HikariDataSource pool(PostgresSettings settings, boolean replica) {
    int connectTimeoutSeconds = replica ? 2 : 5;
    HikariConfig config = new HikariConfig();
    config.setPoolName(replica ? "tally-postgres-replica" : "tally-postgres");
    config.setJdbcUrl(settings.jdbcUrl());
    config.setUsername(settings.user());
    config.setPassword(settings.password());
    config.setSchema(settings.schema());
    config.setMaximumPoolSize(settings.maxPoolSize());
    config.setMinimumIdle(2);
    config.setConnectionTimeout(connectTimeoutSeconds * 1000L);
    config.setValidationTimeout(1_500);
    // a replica that is down must not stop a node from starting: its pool starts empty
    config.setInitializationFailTimeout(replica ? -1 : 1);
    config.addDataSourceProperty("connectTimeout", Integer.toString(connectTimeoutSeconds));
    config.addDataSourceProperty("socketTimeout", "60");
    config.addDataSourceProperty("ApplicationName", "tally");
    try {
      return new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw new TallyException(
          "cannot connect to PostgreSQL at " + settings.jdbcUrl() + ": " + e.getMessage(), e);
    }
  }

  PostgresSettings settings() {
    return settings;
  }

  DataSource dataSource() {
    return pool;
  }

  /** A connection of the pool (the caller closes it, which returns it). */
  Connection connection() throws SQLException {
    return pool.getConnection();
  }

  @Override
  public Bucket read(CounterKey key) {
    return query(
        "SELECT count, sum FROM counters WHERE " + ROW,
        s -> bindRow(s, key),
        r -> r.next() ? new Bucket(key.bucketStartMillis(), r.getLong(1), r.getLong(2)) : null,
        new Bucket(key.bucketStartMillis(), 0, 0));
  }

  @Override
  public List<Bucket> range(
      String entity, String type, Granularity g, long fromMillis, long toMillis) {
    return query(
        "SELECT bucket, count, sum FROM counters WHERE " + SERIES + " ORDER BY bucket",
        s -> bindSeries(s, entity, type, g, fromMillis, toMillis),
        r -> {
          List<Bucket> out = new ArrayList<>();
          while (r.next()) {
            out.add(new Bucket(r.getLong(1), r.getLong(2), r.getLong(3)));
          }
          return out;
        },
        List.of());
  }

  @Override
  public ActorSketch actors(CounterKey key, ReadReport report) {
    return query(
        "SELECT actors FROM counters WHERE " + ROW + " AND actors IS NOT NULL",
        s -> bindRow(s, key),
        r -> r.next() ? ActorSketch.fromBytes(r.getBytes(1), "counter row " + key) : null,
        null);
  }

  @Override
  public NavigableMap<Long, ActorSketch> actorsRange(
      String entity,
      String type,
      Granularity g,
      long fromMillis,
      long toMillis,
      ReadReport report) {
    return query(
        "SELECT bucket, actors FROM counters WHERE " + SERIES + " AND actors IS NOT NULL",
        s -> bindSeries(s, entity, type, g, fromMillis, toMillis),
        r -> {
          TreeMap<Long, ActorSketch> out = new TreeMap<>();
          while (r.next()) {
            long bucket = r.getLong(1);
            CounterKey key = new CounterKey(entity, type, g, bucket);
            out.put(bucket, ActorSketch.fromBytes(r.getBytes(2), "counter row " + key));
          }
          return out;
        },
        new TreeMap<>());
  }

  @Override
  public OptionalLong asOfMillis(int partition) {
    return asOf.get(
        partition,
        memo ->
            query(
                "SELECT partition, as_of FROM progress",
                s -> {},
                r -> {
                  while (r.next()) {
                    memo.advance(r.getInt(1), r.getLong(2));
                  }
                  return null;
                },
                null));
  }

  /**
   * The last materialized checkpoint of {@code partition}, read now. It also advances the as-of
   * memo, so a query that waited for it is not answered from an older as-of.
   */
  @Override
  public Optional<Checkpoint> checkpoint(int partition) {
    Checkpoint cp =
        query(
            "SELECT next_offset, last_append, as_of FROM progress WHERE partition = ?",
            s -> s.setInt(1, partition),
            r ->
                r.next()
                    ? new Checkpoint(partition, r.getLong(1), r.getLong(2), r.getLong(3))
                    : null,
            null);
    if (cp == null) {
      return Optional.empty();
    }
    asOf.advance(partition, cp.asOfMillis());
    return Optional.of(cp);
  }

  /** Every partition's checkpoint in this database's {@code progress} table, read now. */
  Map<Integer, Checkpoint> progress() {
    return query(
        "SELECT partition, next_offset, last_append, as_of FROM progress",
        s -> {},
        r -> {
          Map<Integer, Checkpoint> out = new HashMap<>();
          while (r.next()) {
            int p = r.getInt(1);
            out.put(p, new Checkpoint(p, r.getLong(2), r.getLong(3), r.getLong(4)));
          }
          return out;
        },
        Map.of());
  }

  private static void bindRow(PreparedStatement s, CounterKey key) throws SQLException {
    s.setString(1, key.entity());
    s.setString(2, key.type());
    s.setString(3, key.granularity().wireName());
    s.setLong(4, key.bucketStartMillis());
  }

  private static void bindSeries(
      PreparedStatement s, String entity, String type, Granularity g, long from, long to)
      throws SQLException {
    s.setString(1, entity);
    s.setString(2, type);
    s.setString(3, g.wireName());
    s.setLong(4, from);
    s.setLong(5, to);
  }

  /** Binds the parameters of a statement. */
  interface Binder {
    void bind(PreparedStatement s) throws SQLException;
  }

  /** Reads a result set; may return null. */
  interface Reader<T> {
    T read(ResultSet r) throws SQLException;
  }

  /**
   * Runs one query on a pooled connection.
   *
   * @return what {@code reader} made of the rows, or {@code none} if it made null
   * @throws TallyException if PostgreSQL failed
   */
  <T> T query(String sql, Binder binder, Reader<T> reader, T none) {
    try (Connection c = pool.getConnection();
        PreparedStatement s = c.prepareStatement(sql)) {
      binder.bind(s);
      try (ResultSet r = s.executeQuery()) {
        T out = reader.read(r);
        return out == null ? none : out;
      }
    } catch (SQLException e) {
      throw new TallyException("PostgreSQL read failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    pool.close();
  }
}
