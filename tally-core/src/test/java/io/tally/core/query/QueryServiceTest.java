package io.tally.core.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.partition.Partitioner;
import io.tally.core.store.CounterStore;
import io.tally.core.validate.EventValidator;
import io.tally.core.validate.ValidationLimits;
import io.tally.model.Bucket;
import io.tally.model.Granularity;
import io.tally.model.Statistic;
import io.tally.model.Stats;
import io.tally.model.Total;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class QueryServiceTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:34:56.789Z");
  private static final int MAX_BUCKETS = 100;
  private static final Partitioner PARTITIONER = new Partitioner(8);

  /** A HashMap-backed store; rows and as-of times are set directly by the tests. */
  private static final class FakeCounterStore implements CounterStore {
    final Map<CounterKey, Bucket> rows = new HashMap<>();
    final Map<Integer, Long> asOf = new HashMap<>();
    final List<String> rangeCalls = new ArrayList<>();

    void put(String entity, String type, Granularity g, long start, long count, long sum) {
      rows.put(new CounterKey(entity, type, g, start), new Bucket(start, count, sum));
    }

    @Override
    public Bucket read(CounterKey key) {
      return rows.getOrDefault(key, new Bucket(key.bucketStartMillis(), 0, 0));
    }

    @Override
    public List<Bucket> range(
        String entity, String type, Granularity granularity, long fromMillis, long toMillis) {
      rangeCalls.add(granularity.wireName() + " " + fromMillis + ".." + toMillis);
      List<Bucket> out = new ArrayList<>();
      rows.forEach(
          (k, b) -> {
            if (k.entity().equals(entity)
                && k.type().equals(type)
                && k.granularity() == granularity
                && k.bucketStartMillis() >= fromMillis
                && k.bucketStartMillis() < toMillis) {
              out.add(b);
            }
          });
      out.sort(Comparator.comparingLong(Bucket::startMillis));
      return out;
    }

    @Override
    public OptionalLong asOfMillis(int partition) {
      Long t = asOf.get(partition);
      return t == null ? OptionalLong.empty() : OptionalLong.of(t);
    }
  }

  private final FakeCounterStore store = new FakeCounterStore();
  private final QueryService queries =
      new QueryService(
          store,
          PARTITIONER,
          new EventValidator(ValidationLimits.DEFAULTS),
          InstantSource.fixed(NOW),
          MAX_BUCKETS);

  private static long at(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }

  private static String ms(String iso) {
    return Long.toString(at(iso));
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
    store.put("video:1", "view", Granularity.TOTAL, 0, 12, 345);
    store.put("video:1", "like", Granularity.TOTAL, 0, 99, 99);
    Total t = queries.total("video:1", "view");
    assertThat(t.count()).isEqualTo(12);
    assertThat(t.sum()).isEqualTo(345);
  }

  @Test
  void asOfIsTheStoresAsOfForTheEntitysPartition() {
    int p = PARTITIONER.partition("video:1");
    for (int i = 0; i < PARTITIONER.partitions(); i++) {
      store.asOf.put(i, 1_000L + i);
    }
    assertThat(queries.total("video:1", "view").asOfMillis()).isEqualTo(1_000L + p);
    assertThat(queries.stats("video:1", "view", null, null, null, null).asOfMillis())
        .isEqualTo(1_000L + p);
  }

  @Test
  void asOfIsZeroWhileTheEntitysPartitionHasNothingApplied() {
    int p = PARTITIONER.partition("video:1");
    store.asOf.put((p + 1) % PARTITIONER.partitions(), 5_000L);
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
    store.put(e, "view", Granularity.MINUTE, at("2026-03-01T11:59:00Z"), 1, 1); // before from
    store.put(e, "view", Granularity.MINUTE, at("2026-03-01T12:00:00Z"), 2, 20);
    store.put(e, "view", Granularity.MINUTE, at("2026-03-01T12:07:00Z"), 3, 30);
    store.put(e, "view", Granularity.MINUTE, at("2026-03-01T12:09:00Z"), 4, 40);
    store.put(e, "view", Granularity.MINUTE, at("2026-03-01T12:10:00Z"), 5, 50); // at to
    store.put(e, "view", Granularity.HOUR, at("2026-03-01T12:00:00Z"), 9, 90); // other granularity
    store.put(e, "like", Granularity.MINUTE, at("2026-03-01T12:05:00Z"), 9, 90); // other type
    store.put("video:2", "view", Granularity.MINUTE, at("2026-03-01T12:05:00Z"), 9, 90);

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
    store.put("video:1", "view", Granularity.HOUR, at("2026-03-01T10:00:00Z"), 7, 7);
    Stats s =
        queries.stats(
            "video:1",
            "view",
            "sum",
            "2026-03-01T10:30:00Z",
            "2026-03-01T12:00:00Z",
            "hour");
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

    Stats epoch = queries.stats("video:1", "view", null, "0", "60000", null);
    assertThat(epoch.fromMillis()).isZero();
    assertThat(epoch.toMillis()).isEqualTo(60_000);

    Stats negative = queries.stats("video:1", "view", null, "-120000", "-60000", null);
    assertThat(negative.fromMillis()).isEqualTo(-120_000);
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
    assertThatThrownBy(() -> queries.stats("video:1", "view", "avg", null, null, null))
        .isInstanceOf(BadQueryException.class)
        .hasMessageContaining("fn")
        .hasMessageContaining("count, sum");
  }

  @Test
  void statsRejectsFromNotBeforeTo() {
    assertThatThrownBy(
            () -> queries.stats("video:1", "view", null, "120000", "120000", null))
        .isInstanceOf(BadQueryException.class)
        .hasMessage("from must be before to");
    assertThatThrownBy(
            () -> queries.stats("video:1", "view", null, "120001", "120000", null))
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
    assertThatThrownBy(
            () -> queries.stats("video:1", "view", null, null, "253402300800000", null))
        .isInstanceOf(BadQueryException.class)
        .hasMessage("to is out of range");
    assertThatThrownBy(
            () -> queries.stats("video:1", "view", null, "-253402300800000", "0", null))
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
    assertThat(store.rangeCalls).isEmpty();
  }

  @Test
  void statsAcceptsARangeOfExactlyTheLimit() {
    long from = at("2026-03-01T00:00:00Z");
    String to100 = Long.toString(from + 100 * 60_000L);
    Stats s = queries.stats("video:1", "view", null, Long.toString(from), to100, "minute");
    assertThat(s.toMillis() - s.fromMillis()).isEqualTo(100 * 60_000L);
    assertThat(store.rangeCalls).containsExactly("minute " + from + ".." + to100);
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
                    0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
