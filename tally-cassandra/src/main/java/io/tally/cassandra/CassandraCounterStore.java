package io.tally.cassandra;

import static java.util.Objects.requireNonNull;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.store.AsOfMemo;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.CounterStore;
import io.tally.core.store.QuorumLoss;
import io.tally.core.store.ReadReport;
import io.tally.core.uniques.ActorSketch;
import io.tally.model.Bucket;
import io.tally.model.Granularity;
import io.tally.model.TallyException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * Cluster mode's counter store: the rows the materializer writes to Cassandra (layout in {@link
 * CounterSchema}), read at the configured read consistency. Also owns the driver session, which the
 * {@link CounterWriter} shares. Queries read through {@link QuorumReads}: at the read consistency,
 * falling back to ONE when a quorum cannot be reached and the query's {@link ReadReport} allows.
 *
 * <p>A query answers from what the store has and says how fresh it is (DESIGN.md invariant 7):
 * {@link #asOfMillis} is the materialized checkpoint's as-of, read at most every 200 ms.
 *
 * <p>Thread-safe.
 */
public final class CassandraCounterStore implements CounterStore, AutoCloseable {
  private final CassandraSettings settings;
  private final CqlSession session;
  private final PreparedStatement readRow;
  private final PreparedStatement readRange;
  private final PreparedStatement readActors;
  private final PreparedStatement readActorsRange;
  private final PreparedStatement readProgress;
  private final PreparedStatement readAllProgress;
  private final AsOfMemo asOf = new AsOfMemo();
  private final QuorumReads reads;

  private CassandraCounterStore(CassandraSettings settings, CqlSession session) {
    this.settings = settings;
    this.session = session;
    this.reads = new QuorumReads(session, settings.readConsistency());
    String ks = settings.keyspace();
    readRow =
        session.prepare(
            "SELECT count, sum FROM "
                + ks
                + ".counter_rows WHERE entity = ? AND type = ? "
                + "AND granularity = ? AND bucket = ?");
    readActors =
        session.prepare(
            "SELECT actors FROM "
                + ks
                + ".counter_rows WHERE entity = ? AND type = ? "
                + "AND granularity = ? AND bucket = ?");
    readActorsRange =
        session.prepare(
            "SELECT bucket, actors FROM "
                + ks
                + ".counter_rows WHERE entity = ? AND type = ? "
                + "AND granularity = ? AND bucket >= ? AND bucket < ?");
    readRange =
        session.prepare(
            "SELECT bucket, count, sum FROM "
                + ks
                + ".counter_rows WHERE entity = ? AND type = ? "
                + "AND granularity = ? AND bucket >= ? AND bucket < ?");
    readProgress =
        session.prepare(
            "SELECT next_offset, last_append, as_of FROM " + ks + ".progress WHERE partition = ?");
    readAllProgress = session.prepare("SELECT partition, as_of FROM " + ks + ".progress");
  }

  /**
   * Connects, creates the keyspace and tables when missing, and prepares the statements.
   *
   * @throws TallyException if Cassandra cannot be reached or the schema cannot be made
   */
  public static CassandraCounterStore open(CassandraSettings settings) {
    requireNonNull(settings, "settings");
    DriverConfigLoader config =
        DriverConfigLoader.programmaticBuilder()
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(5))
            .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(5))
            .withDuration(
                DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, Duration.ofSeconds(30))
            .withDuration(
                DefaultDriverOption.CONTROL_CONNECTION_AGREEMENT_TIMEOUT, Duration.ofSeconds(30))
            .withDuration(DefaultDriverOption.RECONNECTION_MAX_DELAY, Duration.ofSeconds(2))
            // the driver answers a DDL statement only after refreshing its schema metadata, and
            // debounces refreshes over this window (1 s by default): each CREATE TABLE of a new
            // keyspace took 1.09 s, of which Cassandra needed well under 0.1 s
            .withDuration(DefaultDriverOption.METADATA_SCHEMA_WINDOW, Duration.ofMillis(20))
            .withInt(DefaultDriverOption.CONNECTION_MAX_REQUESTS, 2048)
            .withString(DefaultDriverOption.REQUEST_CONSISTENCY, settings.readConsistency().name())
            .build();
    CqlSession session;
    try {
      session =
          CqlSession.builder()
              .addContactPoints(settings.contactPoints())
              .withLocalDatacenter(settings.localDatacenter())
              .withConfigLoader(config)
              .build();
    } catch (DriverException e) {
      throw new TallyException(
          "cannot connect to Cassandra at " + settings.contactPoints() + ": " + e.getMessage(), e);
    }
    try {
      CounterSchema.create(session, settings);
      return new CassandraCounterStore(settings, session);
    } catch (DriverException e) {
      session.close();
      throw new TallyException(
          "cannot create the Cassandra schema in keyspace "
              + settings.keyspace()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  CqlSession session() {
    return session;
  }

  /** How the queries' reads are made (shared with the {@link CassandraTopKStore}). */
  QuorumReads reads() {
    return reads;
  }

  CassandraSettings settings() {
    return settings;
  }

  @Override
  public Bucket read(CounterKey key) {
    return read(key, new ReadReport(QuorumLoss.FAIL));
  }

  @Override
  public Bucket read(CounterKey key, ReadReport report) {
    Row row =
        reads
            .execute(
                readRow.bind(
                    key.entity(),
                    key.type(),
                    key.granularity().wireName(),
                    key.bucketStartMillis()),
                report)
            .one();
    return row == null
        ? new Bucket(key.bucketStartMillis(), 0, 0)
        : new Bucket(key.bucketStartMillis(), row.getLong(0), row.getLong(1));
  }

  @Override
  public List<Bucket> range(
      String entity, String type, Granularity g, long fromMillis, long toMillis) {
    return range(entity, type, g, fromMillis, toMillis, new ReadReport(QuorumLoss.FAIL));
  }

  @Override
  public ActorSketch actors(CounterKey key, ReadReport report) {
    Row row =
        reads
            .execute(
                readActors.bind(
                    key.entity(),
                    key.type(),
                    key.granularity().wireName(),
                    key.bucketStartMillis()),
                report)
            .one();
    return row == null || row.isNull(0) ? null : sketch(row.getByteBuffer(0), key);
  }

  @Override
  public NavigableMap<Long, ActorSketch> actorsRange(
      String entity,
      String type,
      Granularity g,
      long fromMillis,
      long toMillis,
      ReadReport report) {
    TreeMap<Long, ActorSketch> out = new TreeMap<>();
    if (fromMillis >= toMillis) {
      return out;
    }
    for (Row r :
        reads.execute(
            readActorsRange.bind(entity, type, g.wireName(), fromMillis, toMillis), report)) {
      if (!r.isNull(1)) {
        long bucket = r.getLong(0);
        out.put(bucket, sketch(r.getByteBuffer(1), new CounterKey(entity, type, g, bucket)));
      }
    }
    return out;
  }

  /**
   * The sketch in a row's {@code actors} column.
   *
   * @throws io.tally.core.codec.CorruptRecordException naming the row when it is damaged
   */
  static ActorSketch sketch(ByteBuffer b, CounterKey key) {
    byte[] bytes = new byte[b.remaining()];
    b.duplicate().get(bytes);
    return ActorSketch.fromBytes(bytes, "counter row " + key);
  }

  @Override
  public List<Bucket> range(
      String entity,
      String type,
      Granularity g,
      long fromMillis,
      long toMillis,
      ReadReport report) {
    List<Bucket> out = new ArrayList<>();
    if (fromMillis >= toMillis) {
      return out;
    }
    for (Row r :
        reads.execute(readRange.bind(entity, type, g.wireName(), fromMillis, toMillis), report)) {
      out.add(new Bucket(r.getLong(0), r.getLong(1), r.getLong(2)));
    }
    return out;
  }

  @Override
  public OptionalLong asOfMillis(int partition) {
    return asOfMillis(partition, new ReadReport(QuorumLoss.FAIL));
  }

  /**
   * As {@link #asOfMillis(int)}; the report learns the consistency only when the progress table is
   * read now (not from the 200 ms memo).
   */
  @Override
  public OptionalLong asOfMillis(int partition, ReadReport report) {
    return asOf.get(
        partition,
        memo -> {
          for (Row r : reads.execute(readAllProgress.bind(), report)) {
            memo.advance(r.getInt(0), r.getLong(1));
          }
        });
  }

  /**
   * False: the materializer writes a step's rows, then the checkpoints that cover them ({@link
   * CassandraDeltaSink}), so rows change during a step under the previous as-of.
   */
  @Override
  public boolean rowsChangeOnlyWithAsOf() {
    return false;
  }

  /**
   * The last materialized checkpoint of {@code partition}, read now at the write consistency (the
   * materializer writes it after the rows and slots it covers). It also advances the as-of memo, so
   * a query that waited for it is not answered from an older as-of (nor from a cache entry keyed by
   * one).
   */
  @Override
  public Optional<Checkpoint> checkpoint(int partition) {
    Row r =
        execute(readProgress.bind(partition).setConsistencyLevel(settings.writeConsistency()))
            .one();
    if (r == null) {
      return Optional.empty();
    }
    Checkpoint cp = new Checkpoint(partition, r.getLong(0), r.getLong(1), r.getLong(2));
    asOf.advance(partition, cp.asOfMillis());
    return Optional.of(cp);
  }

  private ResultSet execute(Statement<?> statement) {
    try {
      return session.execute(statement);
    } catch (DriverException e) {
      throw new TallyException("Cassandra read failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    session.close();
  }
}
