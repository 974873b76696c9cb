package io.tally.core.query;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.partition.Partitioner;
import io.tally.core.retention.Retention;
import io.tally.core.store.AsOfMemo;
import io.tally.core.store.CounterStore;
import io.tally.core.store.ReadReport;
import io.tally.core.validate.EventValidator;
import io.tally.model.Bucket;
import io.tally.model.Consistency;
import io.tally.model.Granularity;
import io.tally.model.Statistic;
import io.tally.model.Stats;
import io.tally.model.Sums;
import io.tally.model.Total;
import io.tally.model.Uniques;
import java.time.Duration;
import java.time.InstantSource;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Answers {@code total} and {@code stats} (the design's getStats) from a read-only {@link
 * CounterStore}, checking every parameter first. Each answer carries the as-of time of the entity's
 * partition (DESIGN.md invariant 7: stale rather than nothing, and says how stale).
 *
 * <p>Series never include buckets past the {@link Retention} (whether or not the store has
 * reclaimed them yet); {@code granularity=auto} picks the finest granularity retained for the whole
 * range within the bucket limit; {@code fill=zero} lists empty buckets as zeros. All buckets are
 * UTC-aligned ({@link Granularity}).
 *
 * <p>Answers are cached (Caffeine, bounded) with the as-of time of their partition, and a cached
 * answer is only served while that partition's as-of time is unchanged — i.e. until the next flush
 * of the partition is committed — and for at most {@link QueryConfig#cacheTtlMillis()} (no longer
 * than a flush interval). So the cache adds no staleness: an answer from it is what the store would
 * answer now. Over a store whose rows land before the checkpoint that covers them ({@link
 * CounterStore#rowsChangeOnlyWithAsOf()} false: Cassandra) that holds only within {@link
 * AsOfMemo#REFRESH_MILLIS}, how stale such a store's as-of may be anyway, so answers are cached for
 * at most that long there. {@link #cacheStats()} gives hits and misses for metrics.
 *
 * <p>A derived entity (one starting with a configured {@code name:}, see {@link DerivedEntities})
 * is stored as its own row plus one shard per source partition; its total and each bucket of its
 * series are the sums over those P + 1 rows, and its as-of time is the oldest of all partitions'.
 * Its answers are not cached (any partition's flush may change them).
 *
 * <p>A replicated store states in each answer the consistency it was read at ({@code quorum} or
 * {@code one}); when it cannot reach a quorum, {@link QueryConfig#onQuorumLoss()} decides whether
 * it reads one replica instead (stale rather than nothing) or the query fails.
 *
 * <p>Thread-safe.
 */
public final class QueryService {
  /** Default number of buckets a series covers when {@code from} is not given. */
  public static final int DEFAULT_BUCKETS = 60;

  /** What one cached answer was asked. */
  private record TotalKey(String entity, String type, boolean uniques) {}

  private record StatsKey(
      String entity, String type, Statistic fn, Granularity g, long first, long to, boolean fill) {}

  /** A cached answer and the as-of time it was computed at. */
  private record Cached(Object answer, long asOfMillis) {}

  /** The query cache's counters, for metrics. */
  public record CacheCounters(long hits, long misses, long evictions, long entries) {}

  private final CounterStore store;
  private final Partitioner partitioner;
  private final EventValidator validator;
  private final InstantSource clock;
  private final QueryConfig config;
  private final DerivedEntities derived;
  private final Cache<Object, Cached> cache;
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final UniquesReader uniques;

  /**
   * @param config series limits, retention and the cache
   * @param derived which entities are derived, so read as the sum of their shards
   */
  public QueryService(
      CounterStore store,
      Partitioner partitioner,
      EventValidator validator,
      InstantSource clock,
      QueryConfig config,
      DerivedEntities derived) {
    this.derived = requireNonNull(derived, "derived");
    this.store = requireNonNull(store, "store");
    this.partitioner = requireNonNull(partitioner, "partitioner");
    this.validator = requireNonNull(validator, "validator");
    this.clock = requireNonNull(clock, "clock");
    this.config = requireNonNull(config, "config");
    this.uniques = new UniquesReader(store);
    this.cache =
        config.cacheMaxEntries() == 0 || config.cacheTtlMillis() == 0
            ? null
            : Caffeine.newBuilder()
                .maximumSize(config.cacheMaxEntries())
                .expireAfterWrite(Duration.ofMillis(cacheTtlMillis(store, config)))
                .ticker(
                    () ->
                        clock.millis()
                            * 1_000_000L) // the injected clock, so tests control freshness
                .executor(
                    Runnable::run) // evict on the caller: the bound holds at once, no pool thread
                .recordStats() // for the eviction count
                .build();
  }

  /** How long a cached answer may be served over {@code store} (see the class comment). */
  private static long cacheTtlMillis(CounterStore store, QueryConfig config) {
    return store.rowsChangeOnlyWithAsOf()
        ? config.cacheTtlMillis()
        : Math.min(config.cacheTtlMillis(), AsOfMemo.REFRESH_MILLIS);
  }

  /**
   * The all-time count and sum of (entity, type).
   *
   * @throws BadQueryException naming the bad parameter
   */
  public Total total(String entity, String type) {
    checkEntityAndType(entity, type);
    return cached(
        new TotalKey(entity, type, false),
        entity,
        (asOf, report) -> {
          if (derived.isDerived(entity)) {
            long count = 0;
            long sum = 0;
            for (String row : rowEntities(entity)) {
              Bucket b = store.read(CounterKey.total(row, type), report);
              count += b.count();
              sum = Sums.add(sum, b.sum());
            }
            return new Total(entity, type, count, sum, asOf, report.consistency());
          }
          Bucket b = store.read(CounterKey.total(entity, type), report);
          return new Total(entity, type, b.count(), b.sum(), asOf, report.consistency());
        });
  }

  /**
   * The all-time count and sum of (entity, type) and, with {@code fn=uniques}, its distinct actors
   * (the union of its rows' sketches).
   *
   * @param fn {@code count}, {@code sum}, {@code avg} (all three answer count and sum; the answer's
   *     average is sum / count) or {@code uniques}; null means count
   * @throws BadQueryException naming the bad parameter
   */
  public Total total(String entity, String type, String fn) {
    if (statistic(fn) != Statistic.UNIQUES) {
      return total(entity, type);
    }
    checkEntityAndType(entity, type);
    return cached(
        new TotalKey(entity, type, true),
        entity,
        (asOf, report) -> {
          Total t = total(entity, type);
          List<String> rows = derived.isDerived(entity) ? rowEntities(entity) : List.of(entity);
          Uniques u = uniques.total(rows, type, report);
          // the weaker of the two reads' consistencies (a sketch read may have fallen back)
          Consistency c =
              report.consistency() == Consistency.ONE ? Consistency.ONE : t.consistency();
          return new Total(entity, type, t.count(), t.sum(), t.asOfMillis(), c, u);
        });
  }

  /** As {@link #stats(String, String, String, String, String, String, String)} without filling. */
  public Stats stats(
      String entity, String type, String fn, String from, String to, String granularity) {
    return stats(entity, type, fn, from, to, granularity, null);
  }

  /**
   * The buckets of (entity, type) in {@code [from, to)}.
   *
   * @param fn {@code count} (default), {@code sum}, {@code avg} (sum / count per bucket) or {@code
   *     uniques} (distinct actors per bucket and over the range, from sketches)
   * @param from epoch ms or ISO-8601; default {@value #DEFAULT_BUCKETS} buckets before {@code to}
   * @param to epoch ms or ISO-8601, exclusive; default the end of the current bucket
   * @param granularity {@code minute} (default), {@code hour}, {@code day}, or {@code auto}: the
   *     finest of them retained for the whole range whose bucket count is within the limit
   * @param fill {@code none} (default: only non-empty buckets) or {@code zero} (every bucket of the
   *     retained range, empty ones as zeros)
   * @throws BadQueryException naming the bad parameter, or the bucket limit if exceeded
   */
  public Stats stats(
      String entity,
      String type,
      String fn,
      String from,
      String to,
      String granularity,
      String fill) {
    checkEntityAndType(entity, type);
    Statistic statistic = statistic(fn);
    boolean zeros = fill(fill);
    long now = clock.millis();
    Granularity g;
    long toMillis;
    long fromMillis;
    if ("auto".equalsIgnoreCase(granularity)) {
      toMillis =
          to == null
              ? Granularity.MINUTE.bucketStart(now) + Granularity.MINUTE.millis()
              : time("to", to);
      fromMillis =
          from == null
              ? toMillis - DEFAULT_BUCKETS * Granularity.MINUTE.millis()
              : time("from", from);
      checkOrder(fromMillis, toMillis);
      g = auto(fromMillis, toMillis, now);
      if (to == null) {
        toMillis = g.bucketStart(now) + g.millis();
      }
    } else {
      g = granularity(granularity);
      toMillis = to == null ? g.bucketStart(now) + g.millis() : time("to", to);
      fromMillis = from == null ? toMillis - DEFAULT_BUCKETS * g.millis() : time("from", from);
      checkOrder(fromMillis, toMillis);
    }
    // never answer from buckets past retention, whether or not the store has reclaimed them yet
    long first =
        Math.min(
            toMillis,
            Math.max(g.bucketStart(fromMillis), config.retention().oldestRetainedBucket(g, now)));
    long end = toMillis;
    long buckets = bucketCount(g, first, end);
    if (buckets > config.maxBuckets()) {
      throw new BadQueryException(
          "the range spans "
              + buckets
              + " "
              + g.wireName()
              + " buckets; the limit is "
              + config.maxBuckets()
              + " (use a coarser granularity, granularity=auto or a shorter range)");
    }
    return cached(
        new StatsKey(entity, type, statistic, g, first, end, zeros),
        entity,
        (asOf, report) -> {
          if (statistic == Statistic.UNIQUES) {
            List<String> rows = derived.isDerived(entity) ? rowEntities(entity) : List.of(entity);
            UniquesReader.Series s = uniques.range(rows, type, g, first, end, report);
            return new Stats(
                entity,
                type,
                statistic,
                g,
                first,
                end,
                zeros ? filled(s.buckets(), g, first, end) : s.buckets(),
                asOf,
                report.consistency(),
                s.range());
          }
          List<Bucket> rows =
              derived.isDerived(entity)
                  ? mergedRange(entity, type, g, first, end, report)
                  : store.range(entity, type, g, first, end, report);
          return new Stats(
              entity,
              type,
              statistic,
              g,
              first,
              end,
              zeros ? filled(rows, g, first, end) : rows,
              asOf,
              report.consistency());
        });
  }

  /** Hits, misses, evictions and entries of the query cache (all zero without a cache). */
  public CacheCounters cacheStats() {
    return cache == null
        ? new CacheCounters(0, 0, 0, 0)
        : new CacheCounters(
            hits.sum(), misses.sum(), cache.stats().evictionCount(), cache.estimatedSize());
  }

  /** The retention queries assume (and ingest enforces). */
  public Retention retention() {
    return config.retention();
  }

  /** Computes an answer from the as-of time, reporting its reads' consistency. */
  @FunctionalInterface
  private interface Answer<T> {
    T apply(long asOfMillis, ReadReport report);
  }

  /**
   * The answer to {@code key} about {@code entity}: from the cache while the entity's partition has
   * not advanced since it was computed, else computed now. The as-of time is read before the store,
   * so an answer is always at least as fresh as the time it states. An answer read from one replica
   * because a quorum was lost is not cached.
   */
  @SuppressWarnings("unchecked")
  private <T> T cached(Object key, String entity, Answer<T> answer) {
    ReadReport report = new ReadReport(config.onQuorumLoss());
    long asOf = asOf(entity, report);
    if (cache == null || derived.isDerived(entity)) {
      return answer.apply(asOf, report);
    }
    Cached c = cache.getIfPresent(key);
    if (c != null && c.asOfMillis() == asOf) {
      hits.increment();
      return (T) c.answer();
    }
    misses.increment();
    T fresh = answer.apply(asOf, report);
    if (!report.fellBack()) {
      cache.put(key, new Cached(fresh, asOf));
    }
    return fresh;
  }

  /**
   * The finest timed granularity whose retention covers {@code from} and whose bucket count over
   * the range is within the limit; the coarsest (day) when none is.
   */
  private Granularity auto(long fromMillis, long toMillis, long now) {
    for (Granularity g : Granularity.TIMED) {
      long first = g.bucketStart(fromMillis);
      if (first >= config.retention().oldestRetainedBucket(g, now)
          && bucketCount(g, first, toMillis) <= config.maxBuckets()) {
        return g;
      }
    }
    return Granularity.DAY;
  }

  private static long bucketCount(Granularity g, long first, long toMillis) {
    return (toMillis - first + g.millis() - 1) / g.millis();
  }

  private static List<Bucket> filled(List<Bucket> rows, Granularity g, long first, long to) {
    List<Bucket> out = new ArrayList<>((int) bucketCount(g, first, to));
    int i = 0;
    for (long b = first; b < to; b += g.millis()) {
      if (i < rows.size() && rows.get(i).startMillis() == b) {
        out.add(rows.get(i++));
      } else {
        out.add(new Bucket(b, 0, 0));
      }
    }
    return out;
  }

  private static Statistic statistic(String fn) {
    try {
      return fn == null ? Statistic.COUNT : Statistic.fromWireName(fn);
    } catch (IllegalArgumentException e) {
      throw new BadQueryException(e.getMessage());
    }
  }

  private static boolean fill(String fill) {
    if (fill == null || fill.equalsIgnoreCase("none")) {
      return false;
    }
    if (fill.equalsIgnoreCase("zero")) {
      return true;
    }
    throw new BadQueryException("fill must be one of none, zero; got '" + shorten(fill) + "'");
  }

  private static Granularity granularity(String granularity) {
    Granularity g;
    try {
      g = granularity == null ? Granularity.MINUTE : Granularity.fromWireName(granularity);
    } catch (IllegalArgumentException e) {
      throw new BadQueryException(
          "granularity must be one of minute, hour, day, auto; got '" + shorten(granularity) + "'");
    }
    if (g == Granularity.TOTAL) {
      throw new BadQueryException(
          "granularity must be one of minute, hour, day, auto (use /v1/total for the total)");
    }
    return g;
  }

  private static void checkOrder(long fromMillis, long toMillis) {
    if (fromMillis >= toMillis) {
      throw new BadQueryException("from must be before to");
    }
  }

  private static String shorten(String value) {
    return value.length() > 40 ? value.substring(0, 40) + "…" : value;
  }

  /**
   * Up to when {@code entity}'s rows are complete: its partition's as-of, or for a derived entity
   * the oldest of all.
   */
  private long asOf(String entity, ReadReport report) {
    if (derived.isDerived(entity)) {
      long oldest = Long.MAX_VALUE;
      for (int p = 0; p < partitioner.partitions(); p++) {
        oldest = Math.min(oldest, store.asOfMillis(p, report).orElse(0L));
      }
      return oldest;
    }
    return store.asOfMillis(partitioner.partition(entity), report).orElse(0L);
  }

  /** A derived entity's rows: its own (events sent to it directly), then its shards 0..P-1. */
  private List<String> rowEntities(String entity) {
    List<String> rows = new ArrayList<>(partitioner.partitions() + 1);
    rows.add(entity);
    for (int p = 0; p < partitioner.partitions(); p++) {
      rows.add(DerivedEntities.shardName(entity, p));
    }
    return rows;
  }

  /** The bucket-wise sums over a derived entity's rows, in time order. */
  private List<Bucket> mergedRange(
      String entity,
      String type,
      Granularity g,
      long fromMillis,
      long toMillis,
      ReadReport report) {
    TreeMap<Long, long[]> sums = new TreeMap<>();
    for (String row : rowEntities(entity)) {
      for (Bucket b : store.range(row, type, g, fromMillis, toMillis, report)) {
        long[] cell = sums.computeIfAbsent(b.startMillis(), k -> new long[2]);
        cell[0] += b.count();
        cell[1] = Sums.add(cell[1], b.sum());
      }
    }
    List<Bucket> out = new ArrayList<>(sums.size());
    for (Map.Entry<Long, long[]> e : sums.entrySet()) {
      out.add(new Bucket(e.getKey(), e.getValue()[0], e.getValue()[1]));
    }
    return out;
  }

  private void checkEntityAndType(String entity, String type) {
    if (entity == null) {
      throw new BadQueryException("entity is required");
    }
    if (type == null) {
      throw new BadQueryException("type is required");
    }
    String p = validator.entityProblem(entity);
    if (p == null) {
      p = validator.typeProblem(type);
    }
    if (p != null) {
      throw new BadQueryException(p);
    }
  }

  private static final long MAX_TIME = 253402300799999L; // 9999-12-31T23:59:59.999Z

  private static long time(String name, String value) {
    long t;
    try {
      t =
          value.chars().allMatch(c -> c == '-' || Character.isDigit(c)) && !value.isEmpty()
              ? Long.parseLong(value)
              : OffsetDateTime.parse(value).toInstant().toEpochMilli();
    } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
      throw new BadQueryException(
          name
              + " must be epoch milliseconds or ISO-8601 with offset, e.g. 2026-01-31T12:00:00Z; got '"
              + shorten(value)
              + "'");
    }
    if (t < -MAX_TIME || t > MAX_TIME) {
      throw new BadQueryException(name + " is out of range");
    }
    return t;
  }
}
