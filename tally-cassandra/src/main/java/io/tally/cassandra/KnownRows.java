package io.tally.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.retention.TimeRanges;
import io.tally.core.uniques.ActorSketch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

/**
 * The current value of the counter rows a {@link CounterWriter} is about to write, found with as
 * few reads as it can: from the row cache (Caffeine: (count, sum, writetime) as last written or
 * read by this writer), else known absent because the row lies at or past its partition's {@link
 * RowFrontiers frontier} (a new minute), else read with its writetime. The first read of a
 * partition reads its newest row from the wanted bucket on, which learns the frontier too.
 *
 * <p>The cache and the frontiers are only true while no other writer writes: {@link
 * #invalidateAll()} is called whenever another writer may have written (a rebalance) or a write may
 * have failed half-way.
 *
 * <p>Thread-safe; {@link #current} is called by one thread at a time (the materializer's).
 */
final class KnownRows {
  /** A row's value and writetime ({@link Long#MIN_VALUE}: never written). */
  /** A row as stored; {@code actors} null for a row without actor sketch. */
  record Value(long count, long sum, ActorSketch actors, long writetime) {}

  static final Value NEVER_WRITTEN = new Value(0, 0, null, Long.MIN_VALUE);

  private final CqlSession session;
  private final CassandraSettings settings;
  private final Semaphore inFlight;
  private final Cache<CounterKey, Value> rows;
  private final RowFrontiers frontiers;
  private final PreparedStatement select;
  private final PreparedStatement selectNewest;
  private final LongAdder cached = new LongAdder();
  private final LongAdder knownAbsent = new LongAdder();
  private final LongAdder read = new LongAdder();

  /**
   * @param inFlight bounds the reads in flight, shared with the writer's writes
   * @param cachedRows how many rows the cache holds, and how many minute partitions' frontiers
   */
  KnownRows(CqlSession session, CassandraSettings settings, Semaphore inFlight, long cachedRows) {
    this.session = session;
    this.settings = settings;
    this.inFlight = inFlight;
    this.rows = Caffeine.newBuilder().maximumSize(cachedRows).build();
    this.frontiers = new RowFrontiers(cachedRows);
    String from =
        " FROM "
            + settings.keyspace()
            + ".counters WHERE entity = ? AND type = ? AND granularity = ? AND range_start = ?"
            + " AND bucket";
    select = session.prepare("SELECT bucket, count, sum, WRITETIME(count), actors" + from + " = ?");
    selectNewest =
        session.prepare(
            "SELECT bucket, count, sum, WRITETIME(count), actors"
                + from
                + " >= ? ORDER BY bucket DESC LIMIT 1");
  }

  /**
   * Each row's current value: cached, known absent, or read (concurrently). Blocks until known.
   *
   * @throws ExecutionException if a read failed
   */
  Map<CounterKey, Value> current(Iterable<CounterKey> keys)
      throws InterruptedException, ExecutionException {
    Map<CounterKey, Value> current = new ConcurrentHashMap<>();
    List<CompletableFuture<Void>> reads = new ArrayList<>();
    for (CounterKey key : keys) {
      Value c = rows.getIfPresent(key);
      if (c != null) {
        current.put(key, c);
        cached.increment();
      } else if (frontiers.knownAbsent(key)) {
        current.put(key, NEVER_WRITTEN);
        knownAbsent.increment();
      } else {
        inFlight.acquire();
        CompletableFuture<Void> r;
        try {
          r = read(key).thenAccept(v -> current.put(key, v)).toCompletableFuture();
        } catch (RuntimeException e) {
          inFlight.release();
          throw e;
        }
        r.whenComplete((ok, err) -> inFlight.release());
        reads.add(r);
        read.increment();
      }
    }
    CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).get();
    return current;
  }

  /**
   * Reads {@code key}'s row. If its partition's frontier is not known yet, reads the newest row at
   * or after it instead, which is the row itself or proves that the row does not exist (one read
   * either way, unless a newer row exists: then the row is read too).
   */
  private CompletionStage<Value> read(CounterKey key) {
    if (frontiers.known(key)) {
      return session.executeAsync(bind(select, key)).thenApply(rs -> value(rs.one(), key));
    }
    RowFrontiers.Partition p = RowFrontiers.Partition.of(key);
    long bucket = key.bucketStartMillis();
    return session
        .executeAsync(bind(selectNewest, key))
        .thenCompose(
            rs -> {
              Row r = rs.one();
              if (r == null) {
                frontiers.learned(p, bucket);
                return CompletableFuture.completedFuture(NEVER_WRITTEN);
              }
              long newest = r.getLong(0);
              frontiers.learned(p, newest + 1);
              if (newest == bucket) {
                return CompletableFuture.completedFuture(value(r, key));
              }
              return session.executeAsync(bind(select, key)).thenApply(x -> value(x.one(), key));
            });
  }

  /** This writer wrote {@code value} to {@code key}'s row. */
  void wrote(CounterKey key, Value value) {
    rows.put(key, value);
    frontiers.wrote(key);
  }

  void invalidateAll() {
    rows.invalidateAll();
    frontiers.invalidateAll();
  }

  long cached() {
    return cached.sum();
  }

  long knownAbsent() {
    return knownAbsent.sum();
  }

  long read() {
    return read.sum();
  }

  private BoundStatement bind(PreparedStatement s, CounterKey key) {
    return s.bind(
            key.entity(),
            key.type(),
            key.granularity().wireName(),
            TimeRanges.rangeStart(key.granularity(), key.bucketStartMillis()),
            key.bucketStartMillis())
        .setConsistencyLevel(settings.writeConsistency());
  }

  private static Value value(Row r, CounterKey key) {
    if (r == null || r.isNull(3)) {
      return NEVER_WRITTEN;
    }
    ByteBuffer actors = r.getByteBuffer(4);
    return new Value(
        r.getLong(1),
        r.getLong(2),
        actors == null ? null : CassandraCounterStore.sketch(actors, key),
        r.getLong(3));
  }
}
