package io.tally.cassandra;

import static java.util.Objects.requireNonNull;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatementBuilder;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.codec.SeriesUtf8;
import io.tally.core.retention.Retention;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSource;
import io.tally.core.uniques.ActorSketch;
import io.tally.model.Granularity;
import io.tally.model.Sums;
import io.tally.model.TallyException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies counter deltas to Cassandra idempotently (DESIGN.md invariant 5). Every delta carries its
 * position (a rising number: the timestamp generation and its offset in the deltas topic). A row's
 * current value and writetime are known first; only the deltas positioned after it are added, and
 * the new value is written {@code USING TIMESTAMP} the last applied position. A replayed or zombie
 * delta therefore either finds the row already past it and does nothing, or computes the very value
 * the first application computed; last-write-wins only moves a row forward. Sums add with {@link
 * Sums#add} (saturating), so a stored sum of 2^63 − 1 means "too large to be exact" and stays so. A
 * row's actor sketch is unioned with the sketches of the same deltas and written in the same
 * statement, so the position guard covers it too (and a union is idempotent besides).
 *
 * <h2>The write path of one step ({@link #apply})</h2>
 *
 * <ol>
 *   <li>Each row's current value is found with as few reads as possible ({@link KnownRows}: a row
 *       cache, and each partition's frontier past which rows are known not to exist, so a new
 *       minute row is written without a read); the remaining reads run concurrently.
 *   <li>The new values are written in unlogged batches of whole Cassandra partitions (an entity's
 *       rows) on the same replicas ({@link WriteBatches}), concurrently.
 * </ol>
 *
 * <p>Requests in flight (reads and writes) are bounded by {@code maxInFlight}. What the writer
 * knows of the rows is only true while no other writer writes: {@link #invalidateAll()} must be
 * called whenever another writer may have written (a rebalance) or a write may have failed
 * half-way.
 *
 * <p>Thread-safe; a step at a time ({@link #apply} is called by one thread, the materializer's).
 */
public final class CounterWriter {
  private static final Logger LOG = LoggerFactory.getLogger(CounterWriter.class);

  /** Each granularity's name as CQL text (UTF-8), by ordinal. */
  private static final byte[][] GRANULARITY_UTF8 = new byte[Granularity.values().length][];

  static {
    for (Granularity g : Granularity.values()) {
      GRANULARITY_UTF8[g.ordinal()] = g.wireName().getBytes(StandardCharsets.UTF_8);
    }
  }

  /**
   * Bytes of a row write's values besides its strings and actors: writetime, ttl, count, sum,
   * bucket.
   */
  private static final int FIXED_VALUE_BYTES = 8 + 4 + 8 + 8 + 8;

  /** Position of a delta: generation in the high bits, its deltas-topic offset below. */
  public static long position(long generation, long offset) {
    return new DeltaSource(0, offset).position(generation);
  }

  /**
   * A delta to one row at one position.
   *
   * @param actors the delta's actor sketch, or null
   */
  public record Positioned(long position, long count, long sum, ActorSketch actors) {
    /** A delta without actors. */
    public Positioned(long position, long count, long sum) {
      this(position, count, sum, null);
    }
  }

  /**
   * Since start: rows applied from the cache, known absent, and read (in {@code readRequests}
   * requests), and rows written in {@code requests} write requests (batches).
   */
  public record Stats(
      long cached, long knownAbsent, long read, long readRequests, long written, long requests) {}

  /**
   * Cassandra 5.0 refuses expirations past 2038-01-19 (CASSANDRA-14092), so TTLs stop at 10 years.
   */
  private static final long MAX_TTL_SECONDS = 315_360_000L;

  private final CqlSession session;
  private final CassandraSettings settings;
  private final InstantSource clock;
  private final Semaphore inFlight;
  private final KnownRows known;
  private final WriteBatches batches;
  private final PreparedStatement update;
  private final PreparedStatement updateWithActors;
  private final PreparedStatement progress;
  private volatile long generation; // the positions' epoch: see adoptSource
  private final LongAdder written = new LongAdder();
  private final LongAdder requests = new LongAdder();

  public CounterWriter(
      CassandraCounterStore store, InstantSource clock, int maxInFlight, long cachedRows) {
    requireNonNull(store, "store");
    this.session = store.session();
    this.settings = store.settings();
    this.clock = requireNonNull(clock, "clock");
    this.inFlight = new Semaphore(maxInFlight);
    this.known = new KnownRows(session, settings, inFlight, cachedRows);
    this.batches = new WriteBatches(session);
    String ks = settings.keyspace();
    String row = "entity = ? AND type = ? AND granularity = ? AND bucket = ?";
    update =
        session.prepare(
            "UPDATE "
                + ks
                + ".counter_rows USING TIMESTAMP ? AND TTL ? SET count = ?, sum = ? WHERE "
                + row);
    updateWithActors =
        session.prepare(
            "UPDATE "
                + ks
                + ".counter_rows USING TIMESTAMP ? AND TTL ? SET count = ?, sum = ?, actors = ? WHERE "
                + row);
    progress =
        session.prepare(
            "UPDATE "
                + ks
                + ".progress USING TIMESTAMP ? SET next_offset = ?, "
                + "last_append = ?, as_of = ? WHERE partition = ?");
    Row g =
        session
            .execute(
                session
                    .prepare("SELECT value FROM " + ks + ".meta WHERE name = 'generation'")
                    .bind()
                    .setConsistencyLevel(settings.writeConsistency()))
            .one();
    this.generation = g == null ? 1 : g.getLong(0);
  }

  /** The timestamp generation of the positions: read at start, then that of the adopted source. */
  public long generation() {
    return generation;
  }

  /**
   * Makes {@code source} (the deltas topic's id) the log whose offsets the positions count. Offsets
   * restart when the topic is recreated, so a new id gets the generation after the last one: one
   * lightweight transaction on the {@code sources} row, so materializers that find the new topic
   * together agree on one generation. The first id recorded keeps the keyspace's generation.
   *
   * @throws TallyException if Cassandra cannot record it
   */
  public void adoptSource(UUID source) {
    requireNonNull(source, "source");
    String ks = settings.keyspace();
    for (int attempt = 0; attempt < 5; attempt++) {
      Row row =
          session
              .execute(
                  SimpleStatement.newInstance(
                          "SELECT id, generation FROM " + ks + ".sources WHERE name = 'deltas'")
                      .setConsistencyLevel(ConsistencyLevel.SERIAL))
              .one();
      if (row != null && source.equals(row.getUuid(0))) {
        generation = row.getLong(1);
        return;
      }
      long next = row == null ? generation : row.getLong(1) + 1;
      SimpleStatement change =
          row == null
              ? SimpleStatement.newInstance(
                  "INSERT INTO "
                      + ks
                      + ".sources (name, id, generation) VALUES ('deltas', ?, ?) IF NOT EXISTS",
                  source,
                  next)
              : SimpleStatement.newInstance(
                  "UPDATE "
                      + ks
                      + ".sources SET id = ?, generation = ? WHERE name = 'deltas'"
                      + " IF id = ? AND generation = ?",
                  source,
                  next,
                  row.getUuid(0),
                  row.getLong(1));
      if (session.execute(change.setConsistencyLevel(settings.writeConsistency())).wasApplied()) {
        if (row != null) {
          LOG.warn(
              "the deltas topic was recreated (id {} → {}): its positions start generation {}",
              row.getUuid(0),
              source,
              next);
        }
        generation = next;
        return;
      }
      // another materializer recorded it first: read what it recorded
    }
    throw new TallyException("cannot record the deltas topic's id " + source + " in " + ks);
  }

  /**
   * Applies each row's deltas (in position order). Blocks while it learns the rows' current values;
   * the returned future completes when every row is written, and fails if any read or write failed,
   * in which case the caller must {@link #invalidateAll()} and retry: rows already written skip the
   * deltas they have.
   */
  public CompletableFuture<Void> apply(Map<CounterKey, List<Positioned>> deltas)
      throws InterruptedException {
    Map<CounterKey, KnownRows.Value> current;
    try {
      current = known.current(deltas.keySet());
    } catch (ExecutionException e) {
      return CompletableFuture.failedFuture(e.getCause() == null ? e : e.getCause());
    }
    List<CounterKey> keys = new ArrayList<>(deltas.size());
    List<KnownRows.Value> values = new ArrayList<>(deltas.size());
    List<BoundStatement> writes = new ArrayList<>(deltas.size());
    int[] bytes = new int[deltas.size()];
    SeriesUtf8 series = new SeriesUtf8();
    for (Map.Entry<CounterKey, List<Positioned>> e : deltas.entrySet()) {
      CounterKey key = e.getKey();
      KnownRows.Value before = current.get(key);
      KnownRows.Value after = add(before, e.getValue());
      int ttl = ttlSeconds(key.granularity(), key.bucketStartMillis());
      if (after.writetime() == before.writetime() || ttl < 0) {
        continue; // nothing new, or past retention: the row would expire at once
      }
      keys.add(key);
      values.add(after);
      writes.add(bind(key, after, ttl, series.of(key), bytes, writes.size()));
    }
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    for (WriteBatches.Batch b : batches.group(writes, bytes)) {
      inFlight.acquire();
      CompletableFuture<Void> w;
      try {
        w =
            session
                .executeAsync(b.statement())
                .toCompletableFuture()
                .thenRun(
                    () -> {
                      for (int i : b.rows()) {
                        known.wrote(keys.get(i), values.get(i));
                      }
                      written.add(b.rows().size());
                      requests.increment();
                    });
      } catch (RuntimeException ex) {
        inFlight.release();
        throw ex;
      }
      w.whenComplete((ok, err) -> inFlight.release());
      sent.add(w);
    }
    return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new));
  }

  private static KnownRows.Value add(KnownRows.Value row, List<Positioned> deltas) {
    long count = row.count();
    long sum = row.sum();
    ActorSketch actors = row.actors();
    long writetime = row.writetime();
    for (Positioned d : deltas) {
      if (d.position() > writetime) {
        count += d.count();
        sum = Sums.add(sum, d.sum());
        if (d.actors() != null) {
          actors = ActorSketch.merge(actors, d.actors());
        }
        writetime = d.position();
      }
    }
    return new KnownRows.Value(count, sum, actors, writetime);
  }

  /**
   * One row's write, its values set by index on a mutable builder: {@code bind(Object...)} looks up
   * a codec for each value and copies the immutable statement once per setter, which a profile of
   * the materializer showed among its largest costs. Every value is set as its encoded bytes: the
   * driver's typed setters ({@code setLong}, {@code setInt}) look the codec up again on each call
   * (2 % of a half-rate node's allocation, its cache key), and its text codec encodes through a
   * {@code CharsetEncoder}; the routing key is set from the same bytes (the driver would compose it
   * from the bound values each time it is asked). A series' rows come one after another (the sink
   * keeps them in delta order), so its entity and type are encoded once for all of them ({@link
   * SeriesUtf8}). {@code bytes[at]} gets about the size of the values, for {@link WriteBatches}.
   */
  private BoundStatement bind(
      CounterKey key, KnownRows.Value value, int ttl, SeriesUtf8 series, int[] bytes, int at) {
    boolean withActors = value.actors() != null;
    byte[] entity = series.entity();
    byte[] type = series.type();
    byte[] granularity = GRANULARITY_UTF8[key.granularity().ordinal()];
    BoundStatementBuilder b =
        (withActors ? updateWithActors : update)
            .boundStatementBuilder()
            .setBytesUnsafe(0, bigint(value.writetime()))
            .setBytesUnsafe(1, ByteBuffer.allocate(4).putInt(0, ttl))
            .setBytesUnsafe(2, bigint(value.count()))
            .setBytesUnsafe(3, bigint(value.sum()));
    int i = 4;
    int size = FIXED_VALUE_BYTES + entity.length + type.length + granularity.length;
    if (withActors) {
      byte[] actors = value.actors().toBytes();
      b.setByteBuffer(i++, ByteBuffer.wrap(actors));
      size += actors.length;
    }
    int values = i + 4; // those set so far, then entity, type, granularity and bucket
    bytes[at] = size + 4 * values; // each value also has its length
    return b.setBytesUnsafe(i++, ByteBuffer.wrap(entity))
        .setBytesUnsafe(i++, ByteBuffer.wrap(type))
        .setBytesUnsafe(i++, ByteBuffer.wrap(granularity))
        .setBytesUnsafe(i, bigint(key.bucketStartMillis()))
        .setRoutingKey(CounterSchema.routingKey(entity, type))
        .setConsistencyLevel(settings.writeConsistency())
        .build();
  }

  /** A CQL {@code bigint} as the driver's codec encodes it: 8 bytes, big-endian. */
  private static ByteBuffer bigint(long v) {
    return ByteBuffer.allocate(8).putLong(0, v);
  }

  /**
   * Seconds a row of the bucket starting at {@code bucketStartMillis} still has to live: 0
   * (forever) for granularities kept forever, negative when already past retention.
   */
  int ttlSeconds(Granularity g, long bucketStartMillis) {
    long left = settings.retention().remainingMillis(g, bucketStartMillis, clock.millis());
    if (left == Retention.FOREVER) {
      return 0;
    }
    return left <= 0 ? -1 : (int) Math.min(MAX_TTL_SECONDS, Math.max(1, (left + 999) / 1000));
  }

  /** Records that everything of {@code cp}'s partition before its next offset is applied. */
  public CompletableFuture<Void> writeProgress(Checkpoint cp, long position) {
    return session
        .executeAsync(
            progress
                .bind(
                    position,
                    cp.nextOffset(),
                    cp.lastAppendTimeMillis(),
                    cp.asOfMillis(),
                    cp.partition())
                .setConsistencyLevel(settings.writeConsistency()))
        .thenRun(() -> {})
        .toCompletableFuture();
  }

  /** What the writer did since start. */
  public Stats stats() {
    return new Stats(
        known.cached(),
        known.knownAbsent(),
        known.read(),
        known.readRequests(),
        written.sum(),
        requests.sum());
  }

  /**
   * Forgets every cached row and frontier, so the next write of each row reads it from Cassandra
   * first.
   */
  public void invalidateAll() {
    known.invalidateAll();
  }
}
