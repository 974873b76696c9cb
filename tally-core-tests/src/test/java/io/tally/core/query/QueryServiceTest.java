package io.tally.core.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.partition.Partitioner;
import io.tally.core.store.AsOfMemo;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.CounterStore;
import io.tally.core.validate.EventValidator;
import io.tally.core.validate.ValidationLimits;
import io.tally.model.Bucket;
import io.tally.model.Granularity;
import io.tally.model.Statistic;
import io.tally.model.Stats;
import io.tally.model.Total;
import io.tally.testkit.InMemoryCounterStore;
import io.tally.testkit.ManualClock;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class QueryServiceTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:34:56.789Z");
  private static final int MAX_BUCKETS = 100;
  private static final Partitioner PARTITIONER = new Partitioner(8);

  private final InMemoryCounterStore store = new InMemoryCounterStore();
  private final QueryService queries =
      new QueryService(
          store,
          PARTITIONER,
          new EventValidator(ValidationLimits.DEFAULTS),
          InstantSource.fixed(NOW),
          QueryConfig.DEFAULTS.withMaxBuckets(MAX_BUCKETS).withCache(0, 0),
          DerivedEntities.NONE);

  private static long at(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }

  private static String ms(String iso) {
    return Long.toString(at(iso));
  }

  /** Adds {@code count} and {@code sum} to a row, as a flush of its deltas does. */
  private void add(String entity, String type, Granularity g, long start, long count, long sum) {
    CounterDelta d = new CounterDelta(new CounterKey(entity, type, g, start), count, sum);
    store.write(new DeltaBatch(List.of(d), List.of()));
  }

  /**
   * Commits a checkpoint of {@code partition}: every event appended before {@code asOf} applied.
   */
  private void applied(int partition, long asOfMillis) {
    store.write(
        new DeltaBatch(
            List.of(), List.of(new Checkpoint(partition, 0, Long.MIN_VALUE, asOfMillis))));
  }

  // --- total ----------------------------------------------------------------------------------

  @Test
  void totalOfARowNeverWrittenIsZero() {
    Total t = queries.total("video:404", "view");
    assertThat(t.count()).isZero();
    assertThat(t.sum()).isZero();
    assertThat(t.entity()).isEqualTo("video:404");
    assertThat(t.type()).isEqualTo("view");
  }

  @Test
  void totalReadsTheTotalRow() {
    add("video:1", "view", Granularity.TOTAL, 0, 12, 345);
    add("video:1", "like", Granularity.TOTAL, 0, 99, 99);
    Total t = queries.total("video:1", "view");
    assertThat(t.count()).isEqualTo(12);
    assertThat(t.sum()).isEqualTo(345);
  }

  @Test
  void asOfIsTheStoresAsOfForTheEntitysPartition() {
    int p = PARTITIONER.partition("video:1");
    for (int i = 0; i < PARTITIONER.partitions(); i++) {
      applied(i, 1_000L + i);
    }
    assertThat(queries.total("video:1", "view").asOfMillis()).isEqualTo(1_000L + p);
    assertThat(queries.stats("video:1", "view", null, null, null, null).asOfMillis())
        .isEqualTo(1_000L + p);
  }

  @Test
  void asOfIsZeroWhileTheEntitysPartitionHasNothingApplied() {
    int p = PARTITIONER.partition("video:1");
    applied((p + 1) % PARTITIONER.partitions(), 5_000L);
    assertThat(queries.total("video:1", "view").asOfMillis()).isZero();
  }

  @Test
  void totalRequiresEntityAndTypeNamingTheMissingOne() {
    assertThatThrownBy(() -> queries.total(null, "view"))
        .isInstanceOf(BadQueryException.class)
        .hasMessageContaining("entity");
    assertThatThrownBy(() -> queries.total("video:1", null))
        .isInstanceOf(BadQueryException.class)
        .hasMessageContaining("type");
  }

  @Test
  void totalRejectsAnInvalidEntityOrType() {
    assertThatThrownBy(() -> queries.total("video 1", "view"))
        .isInstanceOf(BadQueryException.class)
        .hasMessageStartingWith("entity ");
    assertThatThrownBy(() -> queries.total("", "view"))
        .isInstanceOf(BadQueryException.class)
        .hasMessageStartingWith("entity ");
    assertThatThrownBy(() -> queries.total("video:1", "View"))
        .isInstanceOf(BadQueryException.class)
        .hasMessageStartingWith("type ");
  }

  // --- stats ----------------------------------------------------------------------------------

  @Test
  void statsReturnsOnlyTheBucketsInTheRangeInTimeOrder() {
    String e = "video:1";
    add(e, "view", Granularity.MINUTE, at("2026-03-01T11:59:00Z"), 1, 1); // before from
    add(e, "view", Granularity.MINUTE, at("2026-03-01T12:00:00Z"), 2, 20);
    add(e, "view", Granularity.MINUTE, at("2026-03-01T12:07:00Z"), 3, 30);
    add(e, "view", Granularity.MINUTE, at("2026-03-01T12:09:00Z"), 4, 40);
    add(e, "view", Granularity.MINUTE, at("2026-03-01T12:10:00Z"), 5, 50); // at to
    add(e, "view", Granularity.HOUR, at("2026-03-01T12:00:00Z"), 9, 90); // other granularity
    add(e, "like", Granularity.MINUTE, at("2026-03-01T12:05:00Z"), 9, 90); // other type
    add("video:2", "view", Granularity.MINUTE, at("2026-03-01T12:05:00Z"), 9, 90);

    Stats s =
        queries.stats(
            e, "view", "count", ms("2026-03-01T12:00:00Z"), ms("2026-03-01T12:10:00Z"), "minute");

    assertThat(s.buckets())
        .containsExactly(
            new Bucket(at("2026-03-01T12:00:00Z"), 2, 20),
            new Bucket(at("2026-03-01T12:07:00Z"), 3, 30),
            new Bucket(at("2026-03-01T12:09:00Z"), 4, 40));
    assertThat(s.fromMillis()).isEqualTo(at("2026-03-01T12:00:00Z"));
    assertThat(s.toMillis()).isEqualTo(at("2026-03-01T12:10:00Z"));
    assertThat(s.fn()).isEqualTo(Statistic.COUNT);
    assertThat(s.granularity()).isEqualTo(Granularity.MINUTE);
    assertThat(s.entity()).isEqualTo(e);
    assertThat(s.type()).isEqualTo("view");
  }

  @Test
  void statsAlignsFromDownToTheStartOfItsBucket() {
    add("video:1", "view", Granularity.HOUR, at("2026-03-01T10:00:00Z"), 7, 7);
    Stats s =
        queries.stats(
            "video:1", "view", "sum", "2026-03-01T10:30:00Z", "2026-03-01T12:00:00Z", "hour");
    assertThat(s.fromMillis()).isEqualTo(at("2026-03-01T10:00:00Z"));
    assertThat(s.buckets()).containsExactly(new Bucket(at("2026-03-01T10:00:00Z"), 7, 7));
    assertThat(s.fn()).isEqualTo(Statistic.SUM);
  }

  @Test
  void statsAcceptsIso8601WithAnyOffsetAndEpochMilliseconds() {
    Stats iso =
        queries.stats(
            "video:1", "view", null, "2026-03-01T13:00:00+02:00", "2026-03-01T12:00:00Z", null);
    assertThat(iso.fromMillis()).isEqualTo(at("2026-03-01T11:00:00Z"));
    assertThat(iso.toMillis()).isEqualTo(at("2026-03-01T12:00:00Z"));

    long f = io.tally.core.retention.Retention.FOREVER;
    QueryService keepsEverything =
        withConfig(
            InstantSource.fixed(NOW),
            QueryConfig.DEFAULTS
                .withRetention(new io.tally.core.retention.Retention(f, f, f, f))
                .withCache(0, 0));
    Stats epoch = keepsEverything.stats("video:1", "view", null, "0", "60000", null);
    assertThat(epoch.fromMillis()).isZero();
    assertThat(epoch.toMillis()).isEqualTo(60_000);

    Stats negative = keepsEverything.stats("video:1", "view", null, "-120000", "-60000", null);
    assertThat(negative.fromMillis()).isEqualTo(-120_000);

    Stats pastRetention = queries.stats("video:1", "view", null, "0", "60000", null);
    assertThat(pastRetention.fromMillis())
        .as("1970 minutes are past the 7-day retention: an empty range")
        .isEqualTo(60_000);
    assertThat(pastRetention.buckets()).isEmpty();
  }

  @Test
  void statsDefaultsToCountByMinuteOverTheLast60BucketsEndingWithTheCurrentOne() {
    Stats s = queries.stats("video:1", "view", null, null, null, null);
    assertThat(s.fn()).isEqualTo(Statistic.COUNT);
    assertThat(s.granularity()).isEqualTo(Granularity.MINUTE);
    assertThat(s.toMillis()).isEqualTo(at("2026-03-01T12:35:00Z"));
    assertThat(s.fromMillis()).isEqualTo(at("2026-03-01T11:35:00Z"));
  }

  @Test
  void statsDefaultsFromTo60BucketsBeforeAGivenTo() {
    Stats s = queries.stats("video:1", "view", null, null, "2026-03-02T00:00:00Z", "day");
    assertThat(s.fromMillis()).isEqualTo(at("2026-01-01T00:00:00Z"));
  }

  @Test
  void statsParsesGranularityAndFnIgnoringCase() {
    Stats s = queries.stats("video:1", "view", "SUM", null, null, "Hour");
    assertThat(s.fn()).isEqualTo(Statistic.SUM);
    assertThat(s.granularity()).isEqualTo(Granularity.HOUR);
  }

  @Test
  void statsRequiresEntityAndTypeNamingTheMissingOne() {
    assertThatThrownBy(() -> queries.stats(null, "view", null, null, null, null))
        .isInstanceOf(BadQueryException.class)
        .hasMessage("entity is required");
    assertThatThrownBy(() -> queries.stats("video:1", null, null, null, null, null))
        .isInstanceOf(BadQueryException.class)
        .hasMessage("type is required");
  }

  @Test
  void statsRejectsAnUnknownGranularity() {
    assertThatThrownBy(() -> queries.stats("video:1", "view", null, null, null, "week"))
        .isInstanceOf(BadQueryException.class)
        .hasMessageContaining("granularity")
        .hasMessageContaining("'week'");
  }

  @Test
  void statsRejectsTheTotalGranularityPointingToTheTotalQuery() {
    assertThatThrownBy(() -> queries.stats("video:1", "view", null, null, null, "total"))
        .isInstanceOf(BadQueryException.class)
        .hasMessageContaining("granularity")
        .hasMessageContaining("total");
  }

  @Test
  void statsRejectsAnUnknownFn() {
    assertThatThrownBy(() -> queries.stats("video:1", "view", "median", null, null, null))
        .isInstanceOf(BadQueryException.class)
        .hasMessageContaining("fn")
        .hasMessageContaining("count, sum, avg, uniques");
    assertThatThrownBy(() -> queries.total("video:1", "view", "median"))
        .isInstanceOf(BadQueryException.class)
        .hasMessageContaining("count, sum, avg, uniques");
  }

  @Test
  void statsRejectsFromNotBeforeTo() {
    assertThatThrownBy(() -> queries.stats("video:1", "view", null, "120000", "120000", null))
        .isInstanceOf(BadQueryException.class)
        .hasMessage("from must be before to");
    assertThatThrownBy(() -> queries.stats("video:1", "view", null, "120001", "120000", null))
        .isInstanceOf(BadQueryException.class)
        .hasMessage("from must be before to");
  }

  @Test
  void statsRejectsUnparseableTimesNamingTheParameter() {
    assertThatThrownBy(() -> queries.stats("video:1", "view", null, "yesterday", null, null))
        .isInstanceOf(BadQueryException.class)
        .hasMessageStartingWith("from ")
        .hasMessageContaining("'yesterday'");
    assertThatThrownBy(
            () -> queries.stats("video:1", "view", null, null, "2026-03-01T12:00:00", null))
        .isInstanceOf(BadQueryException.class)
        .hasMessageStartingWith("to ");
    assertThatThrownBy(() -> queries.stats("video:1", "view", null, "", null, null))
        .isInstanceOf(BadQueryException.class)
        .hasMessageStartingWith("from ");
    assertThatThrownBy(() -> queries.stats("video:1", "view", null, "-", null, null))
        .isInstanceOf(BadQueryException.class)
        .hasMessageStartingWith("from ");
    assertThatThrownBy(
            () -> queries.stats("video:1", "view", null, "99999999999999999999", null, null))
        .isInstanceOf(BadQueryException.class)
        .hasMessageStartingWith("from ");
  }

  @Test
  void statsRejectsTimesBeyondYear9999() {
    assertThatThrownBy(() -> queries.stats("video:1", "view", null, null, "253402300800000", null))
        .isInstanceOf(BadQueryException.class)
        .hasMessage("to is out of range");
    assertThatThrownBy(() -> queries.stats("video:1", "view", null, "-253402300800000", "0", null))
        .isInstanceOf(BadQueryException.class)
        .hasMessage("from is out of range");
  }

  @Test
  void statsRejectsARangeOfMoreBucketsThanTheLimitNamingTheLimit() {
    long from = at("2026-03-01T00:00:00Z");
    String to101 = Long.toString(from + 101 * 60_000L);
    assertThatThrownBy(
            () -> queries.stats("video:1", "view", null, Long.toString(from), to101, "minute"))
        .isInstanceOf(BadQueryException.class)
        .hasMessageContaining("101")
        .hasMessageContaining("limit is " + MAX_BUCKETS);
    assertThat(store.rangeReads()).isZero();
  }

  @Test
  void theDefaultLimitFetchesTheWholeRetainedMinuteHistoryInOneQuery() {
    // issue 20: the 7-day minute history (10,080 whole buckets and the current one) was refused
    QueryService defaults =
        new QueryService(
            store,
            PARTITIONER,
            new EventValidator(ValidationLimits.DEFAULTS),
            InstantSource.fixed(NOW),
            QueryConfig.DEFAULTS.withCache(0, 0),
            DerivedEntities.of(List.of()));
    String weekAgo = Long.toString(NOW.toEpochMilli() - 7 * 86_400_000L);
    Stats s = defaults.stats("video:1", "view", null, weekAgo, null, "minute");
    assertThat((s.toMillis() - s.fromMillis()) / 60_000L).isEqualTo(7 * 1440L + 1);
    assertThat(QueryConfig.DEFAULTS.maxBuckets()).isEqualTo(7 * 1440 + 1);
  }

  @Test
  void statsAcceptsARangeOfExactlyTheLimit() {
    long from = at("2026-03-01T00:00:00Z");
    long last = from + 99 * 60_000L;
    String to100 = Long.toString(from + 100 * 60_000L);
    add("video:1", "view", Granularity.MINUTE, from - 60_000L, 1, 1); // before the range
    add("video:1", "view", Granularity.MINUTE, from, 2, 2);
    add("video:1", "view", Granularity.MINUTE, last, 3, 3);
    add("video:1", "view", Granularity.MINUTE, last + 60_000L, 4, 4); // at its end
    Stats s = queries.stats("video:1", "view", null, Long.toString(from), to100, "minute");
    assertThat(s.toMillis() - s.fromMillis()).isEqualTo(100 * 60_000L);
    assertThat(s.buckets()).extracting(Bucket::startMillis).containsExactly(from, last);
    assertThat(store.rangeReads()).as("the whole range in one read").isEqualTo(1);
  }

  @Test
  void statsCountsPartlyCoveredBucketsTowardsTheLimit() {
    // [00:00:30, 01:40:00) touches 100 minute buckets, [00:00:30, 01:40:01) touches 101.
    long from = at("2026-03-01T00:00:30Z");
    long to = at("2026-03-01T01:40:00Z");
    queries.stats("video:1", "view", null, Long.toString(from), Long.toString(to), "minute");
    assertThatThrownBy(
            () ->
                queries.stats(
                    "video:1", "view", null, Long.toString(from), Long.toString(to + 1), "minute"))
        .isInstanceOf(BadQueryException.class)
        .hasMessageContaining("limit is 100");
  }

  @Test
  void rejectsANonPositiveBucketLimit() {
    assertThatThrownBy(
            () ->
                new QueryService(
                    store,
                    PARTITIONER,
                    new EventValidator(ValidationLimits.DEFAULTS),
                    InstantSource.fixed(NOW),
                    QueryConfig.DEFAULTS.withMaxBuckets(0),
                    DerivedEntities.NONE))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static long at(Instant i) {
    return i.toEpochMilli();
  }

  private QueryService withConfig(InstantSource clock, QueryConfig config) {
    return new QueryService(
        store,
        PARTITIONER,
        new EventValidator(ValidationLimits.DEFAULTS),
        clock,
        config,
        DerivedEntities.NONE);
  }

  @Test
  void fillZeroListsEveryBucketOfTheRangeWithEmptyOnesAsZeros() {
    long t = at(Instant.parse("2026-03-01T10:00:00Z"));
    add("video:1", "view", Granularity.MINUTE, t + 60_000, 3, 3);
    add("video:1", "view", Granularity.MINUTE, t + 180_000, 5, 6);
    Stats s =
        queries.stats(
            "video:1",
            "view",
            "sum",
            Long.toString(t),
            Long.toString(t + 300_000),
            "minute",
            "zero");
    assertThat(s.buckets())
        .containsExactly(
            new Bucket(t, 0, 0),
            new Bucket(t + 60_000, 3, 3),
            new Bucket(t + 120_000, 0, 0),
            new Bucket(t + 180_000, 5, 6),
            new Bucket(t + 240_000, 0, 0));
    Stats sparse =
        queries.stats(
            "video:1",
            "view",
            null,
            Long.toString(t),
            Long.toString(t + 300_000),
            "minute",
            "none");
    assertThat(sparse.buckets())
        .extracting(Bucket::startMillis)
        .containsExactly(t + 60_000, t + 180_000);
    assertThatThrownBy(() -> queries.stats("video:1", "view", null, null, null, "minute", "zeros"))
        .isInstanceOf(BadQueryException.class)
        .hasMessageContaining("fill must be one of none, zero");
  }

  @Test
  void autoPicksTheFinestGranularityRetainedForTheWholeRangeWithinTheBucketLimit() {
    QueryService q =
        withConfig(
            InstantSource.fixed(NOW), QueryConfig.DEFAULTS.withMaxBuckets(2_000).withCache(0, 0));
    long now = NOW.toEpochMilli();
    long hour = 3_600_000L;
    long day = 24 * hour;
    // 6 hours: 360 minutes fit the limit and minutes are kept 7 days
    assertThat(
            q.stats("video:1", "view", null, Long.toString(now - 6 * hour), null, "auto")
                .granularity())
        .isEqualTo(Granularity.MINUTE);
    // 3 days: 4,320 minutes exceed the limit of 2,000 → hours
    assertThat(
            q.stats("video:1", "view", null, Long.toString(now - 3 * day), null, "auto")
                .granularity())
        .isEqualTo(Granularity.HOUR);
    // 10 days: minutes are no longer retained for the start (240 hours would fit)
    QueryService roomy =
        withConfig(
            InstantSource.fixed(NOW), QueryConfig.DEFAULTS.withMaxBuckets(100_000).withCache(0, 0));
    assertThat(
            roomy
                .stats("video:1", "view", null, Long.toString(now - 10 * day), null, "auto")
                .granularity())
        .isEqualTo(Granularity.HOUR);
    // 200 days: hours are kept 90 days → days
    assertThat(
            roomy
                .stats("video:1", "view", null, Long.toString(now - 200 * day), null, "AUTO")
                .granularity())
        .isEqualTo(Granularity.DAY);
    Stats s = roomy.stats("video:1", "view", null, Long.toString(now - 10 * day), null, "auto");
    assertThat(s.toMillis())
        .as("the default end is the end of the current bucket of the chosen granularity")
        .isEqualTo(Granularity.HOUR.bucketStart(now) + hour);
  }

  @Test
  void aSeriesNeverReachesBackPastTheRetentionEvenIfTheStoreStillHasTheRows() {
    long now = NOW.toEpochMilli();
    long day = 86_400_000L;
    long old = Granularity.MINUTE.bucketStart(now - 8 * day);
    long recent = Granularity.MINUTE.bucketStart(now - 6 * day);
    add(
        "video:1",
        "view",
        Granularity.MINUTE,
        old,
        1,
        1); // past the 7-day minute retention, not yet reclaimed
    add("video:1", "view", Granularity.MINUTE, recent, 2, 2);
    QueryService q =
        withConfig(
            InstantSource.fixed(NOW), QueryConfig.DEFAULTS.withMaxBuckets(20_000).withCache(0, 0));
    Stats s =
        q.stats(
            "video:1", "view", null, Long.toString(now - 9 * day), Long.toString(now), "minute");
    assertThat(s.buckets()).containsExactly(new Bucket(recent, 2, 2));
    assertThat(s.fromMillis())
        .as("the answer says where the retained range starts")
        .isEqualTo(QueryConfig.DEFAULTS.retention().oldestRetainedBucket(Granularity.MINUTE, now));
    Stats filled =
        q.stats(
            "video:1",
            "view",
            null,
            Long.toString(now - 9 * day),
            Long.toString(now),
            "hour",
            "zero");
    assertThat(filled.buckets())
        .hasSize(9 * 24 + 1); // hours are kept 90 days: every bucket is there, the current one too
  }

  @Test
  void theCacheServesAnAnswerOnlyWhileItsPartitionHasNotAdvancedAndAtMostItsFreshnessBound() {
    ManualClock clock = new ManualClock(NOW.toEpochMilli());
    QueryService q = withConfig(clock, QueryConfig.DEFAULTS.withCache(1_000, 1_000));
    int p = PARTITIONER.partition("video:1");
    applied(p, 1_000L);
    add("video:1", "view", Granularity.TOTAL, 0, 5, 5);
    assertThat(q.total("video:1", "view").count()).isEqualTo(5);
    assertThat(q.total("video:1", "view").count()).isEqualTo(5);
    assertThat(q.cacheStats().hits()).isEqualTo(1);

    // a flush of the partition commits new counts with a new as-of time: the next answer has them
    add("video:1", "view", Granularity.TOTAL, 0, 1, 1);
    applied(p, 2_000L);
    Total fresh = q.total("video:1", "view");
    assertThat(fresh.count()).isEqualTo(6);
    assertThat(fresh.asOfMillis()).isEqualTo(2_000L);

    // without a new as-of time an entry still lives at most the bound
    add("video:1", "view", Granularity.TOTAL, 0, 1, 1);
    clock.advance(999);
    assertThat(q.total("video:1", "view").count()).as("cached within the bound").isEqualTo(6);
    clock.advance(1);
    assertThat(q.total("video:1", "view").count()).as("never older than the bound").isEqualTo(7);
    assertThat(q.cacheStats().hits()).isEqualTo(2);
    assertThat(q.cacheStats().misses()).isEqualTo(3);
    // different questions are different entries
    q.stats("video:1", "view", null, null, null, "minute");
    q.stats("video:1", "view", null, null, null, "minute", "zero");
    assertThat(q.cacheStats().entries()).isEqualTo(3);
    assertThat(queries.cacheStats().hits() + queries.cacheStats().misses())
        .as("no cache configured: nothing counted")
        .isZero();
  }

  @Test
  void overAStoreWhoseRowsLandBeforeTheirCheckpointAnAnswerIsCachedAtMostTheAsOfMemosRefresh() {
    // Cassandra's materializer writes a step's rows, then its checkpoint: during the step rows
    // change under the old as-of, so an answer cached under it must not outlive the as-of's own
    // staleness bound (a cluster's freshness p50 went 1.8 s -> 1.0 s at half rate without it)
    CounterStore rowsFirst =
        new CounterStore() {
          @Override
          public Bucket read(CounterKey key) {
            return store.read(key);
          }

          @Override
          public List<Bucket> range(
              String entity, String type, Granularity g, long fromMillis, long toMillis) {
            return store.range(entity, type, g, fromMillis, toMillis);
          }

          @Override
          public OptionalLong asOfMillis(int partition) {
            return store.asOfMillis(partition);
          }

          @Override
          public Optional<Checkpoint> checkpoint(int partition) {
            return store.checkpoint(partition);
          }

          @Override
          public boolean rowsChangeOnlyWithAsOf() {
            return false;
          }
        };
    ManualClock clock = new ManualClock(NOW.toEpochMilli());
    QueryService q =
        new QueryService(
            rowsFirst,
            PARTITIONER,
            new EventValidator(ValidationLimits.DEFAULTS),
            clock,
            QueryConfig.DEFAULTS.withCache(1_000, 1_000),
            DerivedEntities.NONE);
    applied(PARTITIONER.partition("video:1"), 1_000L);
    add("video:1", "view", Granularity.TOTAL, 0, 5, 5);
    assertThat(q.total("video:1", "view").count()).isEqualTo(5);

    add("video:1", "view", Granularity.TOTAL, 0, 1, 1); // a step's row, its checkpoint not yet
    clock.advance(AsOfMemo.REFRESH_MILLIS - 1);
    assertThat(q.total("video:1", "view").count())
        .as("cached within the memo's bound")
        .isEqualTo(5);
    clock.advance(1);
    assertThat(q.total("video:1", "view").count())
        .as("not kept for the whole flush interval")
        .isEqualTo(6);
    assertThat(q.cacheStats().hits()).isEqualTo(1);
  }

  @Test
  void theCacheIsBounded() {
    ManualClock clock = new ManualClock(NOW.toEpochMilli());
    QueryService q = withConfig(clock, QueryConfig.DEFAULTS.withCache(100, 60_000));
    for (int i = 0; i < 1_000; i++) {
      q.total("video:" + i, "view");
    }
    assertThat(q.cacheStats().entries()).isLessThanOrEqualTo(100);
    assertThat(q.cacheStats().evictions()).isGreaterThanOrEqualTo(900);
  }
}
