package io.tally.raw;

import static java.util.Objects.requireNonNull;

import io.tally.core.raw.RawConfig;
import io.tally.core.raw.RawQueryException;
import io.tally.core.raw.RawQueryException.Reason;
import io.tally.core.raw.RawSql;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.duckdb.DuckDBResultSetMetaData;
import org.duckdb.StatementReturnType;

/**
 * Read-only SQL over a {@link DuckDbRawStore}.
 *
 * <h2>Design</h2>
 *
 * Each query gets a new in-memory DuckDB whose only content is the temporary view {@code events}
 * over the files the manifest lists when the query starts. Before the client's SQL is even
 * prepared, two guards stand:
 *
 * <ol>
 *   <li>The statement must be exactly one SELECT (DuckDB's own parser says so, through {@code
 *       json_serialize_sql}, which serializes only SELECT statements): no COPY, CREATE, INSERT,
 *       ATTACH, INSTALL, LOAD, SET, PRAGMA, CALL or EXPORT, and no second statement behind the
 *       first.
 *   <li>The database is locked down: {@code enable_external_access=false} with the raw store's
 *       directory as the only {@code allowed_directories} (no other file, no network), no extension
 *       auto-install or auto-load, a {@code memory_limit}, no spilling to disk, one thread, then
 *       {@code lock_configuration=true} so no setting can be changed back.
 * </ol>
 *
 * A query is cancelled after the time limit; at most the row limit of rows is read.
 *
 * <p>Thread-safe: each call has its own database.
 */
public final class DuckDbRawSql implements RawSql, AutoCloseable {
  private static final String CHECK =
      "SELECT coalesce(json_extract(j, '$.error')::BOOLEAN, false),"
          + " json_array_length(j, '$.statements'), json_extract_string(j, '$.error_message')"
          + " FROM (SELECT json_serialize_sql(?::VARCHAR) AS j)";

  private final DuckDbRawStore store;
  private final RawConfig limits;
  private final int partitions;
  private final ScheduledExecutorService timer;

  /**
   * @param store the store whose files the view reads
   * @param limits the query limits (time, rows, memory)
   * @param partitions P, over which the answer's as-of time is taken
   */
  public DuckDbRawSql(DuckDbRawStore store, RawConfig limits, int partitions) {
    this.store = requireNonNull(store, "store");
    this.limits = requireNonNull(limits, "limits");
    this.partitions = partitions;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tally-raw-sql-timer");
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public Answer query(String sql) {
    requireNonNull(sql, "sql");
    RawManifest manifest = store.manifest();
    long asOf = DuckDbRawStore.asOfMillis(manifest, partitions);
    try (Connection c = DuckDbRawStore.newConnection()) {
      lockDown(c, manifest);
      checkOneSelect(c, sql);
      return run(c, sql, asOf);
    } catch (SQLException e) {
      throw new RawQueryException(Reason.UNAVAILABLE, "the raw store failed: " + e.getMessage(), e);
    }
  }

  private void lockDown(Connection c, RawManifest manifest) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET threads = 1");
      s.execute("SET memory_limit = '" + (limits.queryMemoryBytes() >> 20) + "MB'");
      s.execute("SET max_temp_directory_size = '0KB'");
      s.execute("SET autoinstall_known_extensions = false");
      s.execute("SET autoload_known_extensions = false");
      s.execute("SET allowed_directories = [" + DuckDbRawStore.quote(store.dir() + "/") + "]");
      s.execute("SET enable_external_access = false");
      s.execute("CREATE TEMP VIEW events AS " + view(manifest));
      s.execute("SET lock_configuration = true");
    }
  }

  /**
   * The view {@code events(id, entity, type, time, value, attributes, actor, partition, offset,
   * logged)}.
   */
  private String view(RawManifest manifest) {
    String columns =
        "id, entity, type, CAST(time AS TIMESTAMP) AS time, value, attributes, actor, partition,"
            + " \"offset\", CAST(logged AS TIMESTAMP) AS logged";
    if (manifest.files().isEmpty()) {
      return "SELECT "
          + columns
          + " FROM (SELECT NULL::VARCHAR AS id, ''::VARCHAR AS entity, ''::VARCHAR AS type,"
          + " NULL::TIMESTAMP_MS AS time, 0::BIGINT AS value, MAP{}::MAP(VARCHAR, VARCHAR) AS"
          + " attributes, NULL::VARCHAR AS actor, 0::INTEGER AS partition, 0::BIGINT AS"
          + " \"offset\", NULL::TIMESTAMP_MS AS logged) WHERE false";
    }
    StringJoiner files = new StringJoiner(", ", "[", "]");
    for (RawFile f : manifest.files()) {
      files.add(DuckDbRawStore.quote(store.dir().resolve(f.path()).toString()));
    }
    return "SELECT " + columns + " FROM read_parquet(" + files + ")";
  }

  private static void checkOneSelect(Connection c, String sql) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(CHECK)) {
      ps.setString(1, sql);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (rs.getBoolean(1)) {
          throw refused(rs.getString(3));
        }
        if (rs.getLong(2) != 1) {
          throw refused("exactly one statement is allowed, got " + rs.getLong(2));
        }
      }
    }
  }

  private static RawQueryException refused(String why) {
    String reason =
        why != null && why.startsWith("Only SELECT statements")
            ? "only a SELECT query is allowed (no COPY, CREATE, INSERT, UPDATE, DELETE, ATTACH,"
                + " INSTALL, LOAD, SET, PRAGMA, CALL or EXPORT)"
            : why;
    return new RawQueryException(Reason.REFUSED, "refused: " + reason, null);
  }

  private Answer run(Connection c, String sql, long asOf) {
    AtomicBoolean timedOut = new AtomicBoolean();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      if (((DuckDBResultSetMetaData) ps.getMetaData()).getReturnType()
          != StatementReturnType.QUERY_RESULT) {
        throw refused("only a query returning rows is allowed");
      }
      ScheduledFuture<?> cancel =
          timer.schedule(
              () -> {
                timedOut.set(true);
                try {
                  ps.cancel();
                } catch (SQLException e) {
                  // the query ended meanwhile
                }
              },
              limits.queryTimeoutMillis(),
              TimeUnit.MILLISECONDS);
      try (ResultSet rs = ps.executeQuery()) {
        return read(rs, asOf);
      } finally {
        cancel.cancel(false);
      }
    } catch (SQLException e) {
      throw failed(e, timedOut.get());
    }
  }

  private RawQueryException failed(SQLException e, boolean timedOut) {
    String m = String.valueOf(e.getMessage());
    if (timedOut || m.contains("INTERRUPT")) {
      return new RawQueryException(
          Reason.TIMEOUT,
          "the query ran longer than its limit of " + limits.queryTimeoutMillis() + " ms",
          e);
    }
    if (m.startsWith("Out of Memory Error")) {
      return new RawQueryException(
          Reason.TOO_LARGE,
          "the query needed more than its memory limit of "
              + (limits.queryMemoryBytes() >> 20)
              + " MB: "
              + m,
          e);
    }
    return new RawQueryException(Reason.REFUSED, m, e);
  }

  private Answer read(ResultSet rs, long asOf) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    List<String> columns = new ArrayList<>();
    List<String> types = new ArrayList<>();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      columns.add(md.getColumnLabel(i));
      types.add(md.getColumnTypeName(i));
    }
    List<List<Object>> rows = new ArrayList<>();
    boolean truncated = false;
    while (rs.next()) {
      if (rows.size() == limits.queryMaxRows()) {
        truncated = true;
        break;
      }
      List<Object> row = new ArrayList<>(columns.size());
      for (int i = 1; i <= columns.size(); i++) {
        row.add(plain(rs.getObject(i)));
      }
      rows.add(row);
    }
    return new Answer(asOf, columns, types, rows, truncated);
  }

  /** A JDBC value as one of the plain types {@link RawSql.Answer} allows. */
  static Object plain(Object v) throws SQLException {
    if (v == null || v instanceof String || v instanceof Boolean || v instanceof BigDecimal) {
      return v;
    }
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof Double || v instanceof Float) {
      return ((Number) v).doubleValue();
    }
    if (v instanceof BigInteger b) {
      return b.bitLength() < 64 ? (Object) b.longValue() : new BigDecimal(b);
    }
    if (v instanceof Timestamp t) {
      return t.toLocalDateTime().toInstant(ZoneOffset.UTC).toString();
    }
    if (v instanceof LocalDateTime t) {
      return t.toInstant(ZoneOffset.UTC).toString();
    }
    if (v instanceof OffsetDateTime t) {
      return t.toInstant().toString();
    }
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        out.put(String.valueOf(e.getKey()), plain(e.getValue()));
      }
      return out;
    }
    if (v instanceof java.sql.Array a) {
      List<Object> out = new ArrayList<>();
      for (Object o : (Object[]) a.getArray()) {
        out.add(plain(o));
      }
      return out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      for (Object o : l) {
        out.add(plain(o));
      }
      return out;
    }
    return v.toString();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
