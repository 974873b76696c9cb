package io.tally.core.query;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.partition.Partitioner;
import io.tally.core.store.CounterStore;
import io.tally.core.validate.EventValidator;
import io.tally.model.Bucket;
import io.tally.model.Granularity;
import io.tally.model.Statistic;
import io.tally.model.Stats;
import io.tally.model.Total;
import java.time.InstantSource;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Answers {@code total} and {@code stats} (the design's getStats) from a read-only
 * {@link CounterStore}, checking every parameter first. Each answer carries the as-of time of the
 * entity's partition (DESIGN.md invariant 7: stale rather than nothing, and says how stale).
 *
 * <p>A derived entity (one starting with a configured {@code name:}, see {@link DerivedEntities})
 * is stored as its own row plus one shard per source partition; its total and each bucket of its
 * series are the sums over those P + 1 rows, and its as-of time is the oldest of all partitions'.
 *
 * <p>Thread-safe and stateless.
 */
public final class QueryService {
  /** Default number of buckets a series covers when {@code from} is not given. */
  public static final int DEFAULT_BUCKETS = 60;

  private final CounterStore store;
  private final Partitioner partitioner;
  private final EventValidator validator;
  private final InstantSource clock;
  private final int maxBuckets;
  private final DerivedEntities derived;

  /** @param maxBuckets most buckets one series query may span */
  public QueryService(CounterStore store, Partitioner partitioner, EventValidator validator, InstantSource clock, int maxBuckets) {
    this(store, partitioner, validator, clock, maxBuckets, DerivedEntities.NONE);
  }

  /**
   * @param maxBuckets most buckets one series query may span
   * @param derived which entities are derived, so read as the sum of their shards
   */
  public QueryService(CounterStore store, Partitioner partitioner, EventValidator validator, InstantSource clock,
      int maxBuckets, DerivedEntities derived) {
    this.derived = requireNonNull(derived, "derived");
    this.store = requireNonNull(store, "store");
    this.partitioner = requireNonNull(partitioner, "partitioner");
    this.validator = requireNonNull(validator, "validator");
    this.clock = requireNonNull(clock, "clock");
    if (maxBuckets < 1) {
      throw new IllegalArgumentException("maxBuckets must be positive");
    }
    this.maxBuckets = maxBuckets;
  }

  /**
   * The all-time count and sum of (entity, type).
   *
   * @throws BadQueryException naming the bad parameter
   */
  public Total total(String entity, String type) {
    checkEntityAndType(entity, type);
    if (derived.isDerived(entity)) {
      long count = 0;
      long sum = 0;
      for (String row : rowEntities(entity)) {
        Bucket b = store.read(CounterKey.total(row, type));
        count += b.count();
        sum += b.sum();
      }
      return new Total(entity, type, count, sum, oldestAsOf());
    }
    Bucket b = store.read(CounterKey.total(entity, type));
    return new Total(entity, type, b.count(), b.sum(), asOf(entity));
  }

  /**
   * The buckets of (entity, type) in {@code [from, to)}.
   *
   * @param fn {@code count} (default) or {@code sum}
   * @param from epoch ms or ISO-8601; default {@value #DEFAULT_BUCKETS} buckets before {@code to}
   * @param to epoch ms or ISO-8601, exclusive; default the end of the current bucket
   * @param granularity {@code minute} (default), {@code hour} or {@code day}
   * @throws BadQueryException naming the bad parameter, or the bucket limit if exceeded
   */
  public Stats stats(String entity, String type, String fn, String from, String to, String granularity) {
    checkEntityAndType(entity, type);
    Statistic statistic;
    Granularity g;
    try {
      statistic = fn == null ? Statistic.COUNT : Statistic.fromWireName(fn);
      g = granularity == null ? Granularity.MINUTE : Granularity.fromWireName(granularity);
    } catch (IllegalArgumentException e) {
      throw new BadQueryException(e.getMessage());
    }
    if (g == Granularity.TOTAL) {
      throw new BadQueryException("granularity must be one of minute, hour, day (use /v1/total for the total)");
    }
    long toMillis = to == null ? g.bucketStart(clock.millis()) + g.millis() : time("to", to);
    long fromMillis = from == null ? toMillis - DEFAULT_BUCKETS * g.millis() : time("from", from);
    if (fromMillis >= toMillis) {
      throw new BadQueryException("from must be before to");
    }
    long firstBucket = g.bucketStart(fromMillis);
    long buckets = (toMillis - firstBucket + g.millis() - 1) / g.millis();
    if (buckets > maxBuckets) {
      throw new BadQueryException("the range spans " + buckets + " " + g.wireName()
          + " buckets; the limit is " + maxBuckets + " (use a coarser granularity or a shorter range)");
    }
    if (derived.isDerived(entity)) {
      List<Bucket> rows = mergedRange(entity, type, g, firstBucket, toMillis);
      return new Stats(entity, type, statistic, g, firstBucket, toMillis, rows, oldestAsOf());
    }
    List<Bucket> rows = store.range(entity, type, g, firstBucket, toMillis);
    return new Stats(entity, type, statistic, g, firstBucket, toMillis, rows, asOf(entity));
  }

  private long asOf(String entity) {
    return store.asOfMillis(partitioner.partition(entity)).orElse(0L);
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
  private List<Bucket> mergedRange(String entity, String type, Granularity g, long fromMillis, long toMillis) {
    TreeMap<Long, long[]> sums = new TreeMap<>();
    for (String row : rowEntities(entity)) {
      for (Bucket b : store.range(row, type, g, fromMillis, toMillis)) {
        long[] cell = sums.computeIfAbsent(b.startMillis(), k -> new long[2]);
        cell[0] += b.count();
        cell[1] += b.sum();
      }
    }
    List<Bucket> out = new ArrayList<>(sums.size());
    for (Map.Entry<Long, long[]> e : sums.entrySet()) {
      out.add(new Bucket(e.getKey(), e.getValue()[0], e.getValue()[1]));
    }
    return out;
  }

  /** A derived entity has rows from every partition: it is complete up to the oldest as-of. */
  private long oldestAsOf() {
    long oldest = Long.MAX_VALUE;
    for (int p = 0; p < partitioner.partitions(); p++) {
      oldest = Math.min(oldest, store.asOfMillis(p).orElse(0L));
    }
    return oldest;
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
      t = value.chars().allMatch(c -> c == '-' || Character.isDigit(c)) && !value.isEmpty()
          ? Long.parseLong(value)
          : OffsetDateTime.parse(value).toInstant().toEpochMilli();
    } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
      throw new BadQueryException(name + " must be epoch milliseconds or ISO-8601 with offset, e.g. 2026-01-31T12:00:00Z; got '"
          + (value.length() > 40 ? value.substring(0, 40) + "…" : value) + "'");
    }
    if (t < -MAX_TIME || t > MAX_TIME) {
      throw new BadQueryException(name + " is out of range");
    }
    return t;
  }
}
