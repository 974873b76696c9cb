package io.tally.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.metadata.Node;
import com.datastax.oss.driver.api.core.metadata.TokenMap;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.uniques.ActorSketch;
import io.tally.model.Granularity;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

/**
 * The current value of the counter rows a {@link CounterWriter} is about to write, found with as
 * few reads as it can: from the row cache (Caffeine: (count, sum, writetime) as last written or
 * read by this writer), else known absent because the row lies at or past its series' {@link
 * RowFrontiers frontier} (a new minute), else read with its writetime. The first read of a series
 * reads its newest row from the wanted bucket on, which learns the frontier too.
 *
 * <p>The cache and the frontiers are only true while no other writer writes: {@link
 * #invalidateAll()} is called whenever another writer may have written (a rebalance) or a write may
 * have failed half-way.
 *
 * <p>Thread-safe; {@link #current} is called by one thread at a time (the materializer's).
 */
final class KnownRows {
  /**
   * A row as stored and its writetime ({@link Long#MIN_VALUE}: never written); {@code actors} null
   * for a row without actor sketch.
   */
  record Value(long count, long sum, ActorSketch actors, long writetime) {}

  static final Value NEVER_WRITTEN = new Value(0, 0, null, Long.MIN_VALUE);

  /**
   * Most rows one read request names ({@code entity IN ?}): one request per row cost the
   * materializer and Cassandra more in request handling than in reading, while a cold row cache
   * (after a start or a rebalance) reads every row it touches.
   */
  static final int MAX_KEYS_PER_READ = 100;

  private final CqlSession session;
  private final CassandraSettings settings;
  private final Semaphore inFlight;
  private final Cache<CounterKey, Value> rows;
  private final RowFrontiers frontiers;
  private final PreparedStatement readAtOrAfter;
  private final LongAdder cached = new LongAdder();
  private final LongAdder knownAbsent = new LongAdder();
  private final LongAdder read = new LongAdder();
  private final LongAdder readRequests = new LongAdder();

  /**
   * @param inFlight bounds the reads in flight, shared with the writer's writes
   * @param cachedRows how many rows the cache holds, and how many minute series' frontiers
   */
  KnownRows(CqlSession session, CassandraSettings settings, Semaphore inFlight, long cachedRows) {
    this.session = session;
    this.settings = settings;
    this.inFlight = inFlight;
    this.rows = Caffeine.newBuilder().maximumSize(cachedRows).build();
    this.frontiers = new RowFrontiers(cachedRows);
    readAtOrAfter =
        session.prepare(
            "SELECT entity, bucket, count, sum, WRITETIME(count), actors FROM "
                + settings.keyspace()
                + ".counter_rows WHERE entity IN ? AND type = ? AND granularity = ?"
                + " AND bucket >= ? PER PARTITION LIMIT 1");
  }

  /**
   * Each row's current value: cached, known absent, or read (concurrently). Blocks until known.
   *
   * @throws ExecutionException if a read failed
   */
  Map<CounterKey, Value> current(Iterable<CounterKey> keys)
      throws InterruptedException, ExecutionException {
    Map<CounterKey, Value> current = new ConcurrentHashMap<>();
    Map<ReadGroup, List<CounterKey>> toRead = new HashMap<>();
    Optional<TokenMap> tokens = session.getMetadata().getTokenMap();
    for (CounterKey key : keys) {
      Value c = rows.getIfPresent(key);
      if (c != null) {
        current.put(key, c);
        cached.increment();
      } else if (frontiers.knownAbsent(key)) {
        current.put(key, NEVER_WRITTEN);
        knownAbsent.increment();
      } else {
        toRead
            .computeIfAbsent(ReadGroup.of(key, replicas(tokens, key)), g -> new ArrayList<>())
            .add(key);
        read.increment();
      }
    }
    List<CompletableFuture<Void>> reads = new ArrayList<>();
    for (Map.Entry<ReadGroup, List<CounterKey>> g : toRead.entrySet()) {
      List<CounterKey> group = g.getValue();
      for (int from = 0; from < group.size(); from += MAX_KEYS_PER_READ) {
        List<CounterKey> part =
            group.subList(from, Math.min(group.size(), from + MAX_KEYS_PER_READ));
        inFlight.acquire();
        CompletableFuture<Void> r;
        try {
          r = read(g.getKey(), part, current);
        } catch (RuntimeException e) {
          inFlight.release();
          throw e;
        }
        r.whenComplete((ok, err) -> inFlight.release());
        reads.add(r);
        readRequests.increment();
      }
    }
    CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).get();
    return current;
  }

  /**
   * The rows read together: same type, granularity and bucket, on the same replicas (so the
   * driver's token-aware routing sends the read to a replica of every partition it names).
   */
  private record ReadGroup(String type, Granularity granularity, long bucket, Set<Node> replicas) {
    static ReadGroup of(CounterKey key, Set<Node> replicas) {
      return new ReadGroup(key.type(), key.granularity(), key.bucketStartMillis(), replicas);
    }
  }

  private Set<Node> replicas(Optional<TokenMap> tokens, CounterKey key) {
    if (tokens.isEmpty()) {
      return Set.of();
    }
    return tokens
        .get()
        .getReplicas(
            settings.keyspace(),
            tokens.get().newToken(CounterSchema.routingKey(key.entity(), key.type())));
  }

  /**
   * Reads the rows of one group's {@code keys} in one request: per series the first row at or after
   * the wanted bucket. That row is the wanted one, or proves it absent; no row at all proves every
   * bucket from the wanted one on absent, which is the series' frontier.
   */
  private CompletableFuture<Void> read(
      ReadGroup group, List<CounterKey> keys, Map<CounterKey, Value> current) {
    List<String> entities = new ArrayList<>(keys.size());
    for (CounterKey k : keys) {
      entities.add(k.entity());
    }
    BoundStatement s =
        readAtOrAfter
            .boundStatementBuilder()
            .setList(0, entities, String.class)
            .setString(1, group.type())
            .setString(2, group.granularity().wireName())
            .setLong(3, group.bucket())
            .setRoutingKey(CounterSchema.routingKey(keys.get(0).entity(), keys.get(0).type()))
            .setPageSize(keys.size() + 1)
            .setConsistencyLevel(settings.writeConsistency())
            .build();
    return session
        .executeAsync(s)
        .thenAccept(
            rs -> {
              Map<String, Row> found = new HashMap<>();
              for (Row r : rs.currentPage()) {
                found.put(r.getString(0), r);
              }
              for (CounterKey k : keys) {
                Row r = found.get(k.entity());
                if (r == null && RowFrontiers.tracked(k)) {
                  frontiers.learned(RowFrontiers.Series.of(k), k.bucketStartMillis());
                }
                current.put(
                    k,
                    r != null && r.getLong(1) == k.bucketStartMillis()
                        ? value(r, k)
                        : NEVER_WRITTEN);
              }
            })
        .toCompletableFuture();
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

  /** Read requests sent: each reads up to {@value #MAX_KEYS_PER_READ} rows. */
  long readRequests() {
    return readRequests.sum();
  }

  private static Value value(Row r, CounterKey key) {
    if (r.isNull(4)) {
      return NEVER_WRITTEN;
    }
    ByteBuffer actors = r.getByteBuffer(5);
    return new Value(
        r.getLong(2),
        r.getLong(3),
        actors == null ? null : CassandraCounterStore.sketch(actors, key),
        r.getLong(4));
  }
}
