package io.tally.cassandra;

import static java.util.Objects.requireNonNull;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.retention.Retention;
import io.tally.core.retention.TimeRanges;
import io.tally.core.store.Checkpoint;
import io.tally.core.uniques.ActorSketch;
import io.tally.model.Granularity;
import io.tally.model.Sums;
import java.nio.ByteBuffer;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;

/**
 * Applies counter deltas to Cassandra idempotently (DESIGN.md invariant 5). Every delta carries its
 * position (a rising number: the timestamp generation and its offset in the deltas topic). A row is
 * read with its writetime; only the deltas positioned after it are added, and the new value is
 * written {@code USING TIMESTAMP} the last applied position. A replayed or zombie delta therefore
 * either finds the row already past it and does nothing, or computes the very value the first
 * application computed; last-write-wins only moves a row forward. Sums add with {@link Sums#add}
 * (saturating), so a stored sum of 2^63 − 1 means "too large to be exact" and stays so. A row's
 * actor sketch is unioned with the sketches of the same deltas and written in the same statement,
 * so the position guard covers it too (and a union is idempotent besides).
 *
 * <p>Reading before writing costs a round trip, so a bounded cache (Caffeine) keeps each row's
 * (count, sum, writetime) as last written by this writer; it must be {@linkplain #invalidateAll()
 * invalidated} whenever another writer may have written (a rebalance) or a write may have failed
 * half-way. Requests in flight are bounded.
 *
 * <p>Thread-safe.
 */
public final class CounterWriter {
  /** Position of a delta: generation in the high bits, its deltas-topic offset below. */
  public static long position(long generation, long offset) {
    return (generation << 40) + offset;
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

  /** A row as stored; {@code actors} null for a row without. */
  private record Stored(long count, long sum, ActorSketch actors, long writetime) {}

  /**
   * Cassandra 5.0 refuses expirations past 2038-01-19 (CASSANDRA-14092), so TTLs stop at 10 years.
   */
  private static final long MAX_TTL_SECONDS = 315_360_000L;

  private static final Stored NEVER_WRITTEN = new Stored(0, 0, null, Long.MIN_VALUE);

  private final CqlSession session;
  private final CassandraSettings settings;
  private final InstantSource clock;
  private final Semaphore inFlight;
  private final Cache<CounterKey, Stored> rows;
  private final Extents extents;
  private final PreparedStatement select;
  private final PreparedStatement update;
  private final PreparedStatement updateWithActors;
  private final PreparedStatement progress;
  private final long generation;

  public CounterWriter(
      CassandraCounterStore store, InstantSource clock, int maxInFlight, long cachedRows) {
    requireNonNull(store, "store");
    this.session = store.session();
    this.settings = store.settings();
    this.clock = requireNonNull(clock, "clock");
    this.inFlight = new Semaphore(maxInFlight);
    this.rows = Caffeine.newBuilder().maximumSize(cachedRows).build();
    this.extents = new Extents(session, settings);
    String ks = settings.keyspace();
    select =
        session.prepare(
            "SELECT count, sum, WRITETIME(count), actors FROM "
                + ks
                + ".counters WHERE entity = ? "
                + "AND type = ? AND granularity = ? AND range_start = ? AND bucket = ?");
    update =
        session.prepare(
            "UPDATE "
                + ks
                + ".counters USING TIMESTAMP ? AND TTL ? SET count = ?, sum = ? "
                + "WHERE entity = ? AND type = ? AND granularity = ? AND range_start = ? AND bucket = ?");
    updateWithActors =
        session.prepare(
            "UPDATE "
                + ks
                + ".counters USING TIMESTAMP ? AND TTL ? SET count = ?, sum = ?, actors = ? "
                + "WHERE entity = ? AND type = ? AND granularity = ? AND range_start = ? AND bucket = ?");
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

  /** The timestamp generation read from the keyspace at start. */
  public long generation() {
    return generation;
  }

  /**
   * Applies each row's deltas (in position order). Completes when every row is written; fails if
   * any write failed, in which case the caller must {@link #invalidateAll()} and retry: rows
   * already written skip the deltas they have.
   */
  public CompletableFuture<Void> apply(Map<CounterKey, List<Positioned>> deltas)
      throws InterruptedException {
    extents.cover(deltas.keySet());
    List<CompletableFuture<Void>> writes = new ArrayList<>(deltas.size());
    for (Map.Entry<CounterKey, List<Positioned>> e : deltas.entrySet()) {
      inFlight.acquire();
      CompletableFuture<Void> w;
      try {
        w = applyRow(e.getKey(), e.getValue()).toCompletableFuture();
      } catch (RuntimeException ex) {
        inFlight.release();
        throw ex;
      }
      w.whenComplete((ok, err) -> inFlight.release());
      writes.add(w);
    }
    return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new));
  }

  private CompletionStage<Void> applyRow(CounterKey key, List<Positioned> deltas) {
    Stored cached = rows.getIfPresent(key);
    long rangeStart = TimeRanges.rangeStart(key.granularity(), key.bucketStartMillis());
    String gran = key.granularity().wireName();
    CompletionStage<Stored> current =
        cached != null
            ? CompletableFuture.completedFuture(cached)
            : session
                .executeAsync(
                    select
                        .bind(key.entity(), key.type(), gran, rangeStart, key.bucketStartMillis())
                        .setConsistencyLevel(settings.writeConsistency()))
                .thenApply(
                    rs -> {
                      Row r = rs.one();
                      return r == null || r.isNull(2)
                          ? NEVER_WRITTEN
                          : new Stored(r.getLong(0), r.getLong(1), actors(r, key), r.getLong(2));
                    });
    return current.thenCompose(
        row -> {
          long count = row.count();
          long sum = row.sum();
          long writetime = row.writetime();
          ActorSketch actors = row.actors();
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
          if (writetime == row.writetime()) {
            return CompletableFuture.<Void>completedFuture(null);
          }
          int ttl = ttlSeconds(key.granularity(), key.bucketStartMillis());
          if (ttl < 0) {
            return CompletableFuture.<Void>completedFuture(
                null); // past retention: the row would expire at once
          }
          Stored written = new Stored(count, sum, actors, writetime);
          CompletionStage<?> write =
              session.executeAsync(
                  (actors == null
                          ? update.bind(
                              writetime,
                              ttl,
                              count,
                              sum,
                              key.entity(),
                              key.type(),
                              gran,
                              rangeStart,
                              key.bucketStartMillis())
                          : updateWithActors.bind(
                              writetime,
                              ttl,
                              count,
                              sum,
                              ByteBuffer.wrap(actors.toBytes()),
                              key.entity(),
                              key.type(),
                              gran,
                              rangeStart,
                              key.bucketStartMillis()))
                      .setConsistencyLevel(settings.writeConsistency()));
          return write.thenRun(() -> rows.put(key, written));
        });
  }

  /** The actor sketch in column 3 of {@code r}; null when the row has none. */
  private static ActorSketch actors(Row r, CounterKey key) {
    ByteBuffer b = r.getByteBuffer(3);
    return b == null ? null : CassandraCounterStore.sketch(b, key);
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

  /** Forgets every cached row, so the next write of each reads it from Cassandra first. */
  public void invalidateAll() {
    rows.invalidateAll();
  }
}
