package io.tally.core.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.partition.Partitioner;
import io.tally.core.store.Checkpoint;
import io.tally.core.validate.EventValidator;
import io.tally.core.validate.ValidationLimits;
import io.tally.model.Bucket;
import io.tally.model.Granularity;
import io.tally.model.Stats;
import io.tally.model.Total;
import io.tally.testkit.InMemoryCounterStore;
import io.tally.testkit.ManualClock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The read side of derived entities: a query sums the entity's own row and its P shards. */
class DerivedQueryTest {
  private static final int P = 4;
  private static final long MINUTE = 60_000L;
  private final ManualClock clock = ManualClock.at("2026-01-31T12:00:00Z");
  private final long t0 = clock.millis() - 10 * MINUTE;
  private final InMemoryCounterStore store = new InMemoryCounterStore();
  private final QueryService queries =
      new QueryService(
          store,
          new Partitioner(P),
          new EventValidator(ValidationLimits.DEFAULTS),
          clock,
          QueryConfig.DEFAULTS.withMaxBuckets(1_000).withCache(0, 0),
          DerivedEntities.of(List.of("channel")));

  private void write(String rowEntity, Granularity g, long time, long count, long sum) {
    long start = g == Granularity.TOTAL ? 0 : g.bucketStart(time);
    store.write(
        new DeltaBatch(
            List.of(new CounterDelta(new CounterKey(rowEntity, "view", g, start), count, sum)),
            List.of()));
  }

  private void asOf(int partition, long millis) {
    store.write(new DeltaBatch(List.of(), List.of(new Checkpoint(partition, 1, millis, millis))));
  }

  @Test
  void sumsADerivedEntitysShardsAndItsOwnRowInTheTotalAndInEveryBucket() {
    write("channel:c1~0", Granularity.TOTAL, 0, 3, 30);
    write("channel:c1~2", Granularity.TOTAL, 0, 4, 40);
    write("channel:c1", Granularity.TOTAL, 0, 1, 10); // sent to the derived entity directly
    write("channel:c2~1", Granularity.TOTAL, 0, 100, 100);
    write("channel:c1~0", Granularity.MINUTE, t0, 2, 20);
    write("channel:c1~3", Granularity.MINUTE, t0, 5, 50);
    write("channel:c1~3", Granularity.MINUTE, t0 + 2 * MINUTE, 1, 7);
    write("channel:c1", Granularity.MINUTE, t0 + 2 * MINUTE, 1, 1);
    write("channel:c1~1", Granularity.MINUTE, t0 + 5 * MINUTE, 9, 9);

    Total total = queries.total("channel:c1", "view");
    assertThat(total.count()).isEqualTo(8);
    assertThat(total.sum()).isEqualTo(80);
    Stats count =
        queries.stats(
            "channel:c1",
            "view",
            "count",
            Long.toString(t0),
            Long.toString(t0 + 10 * MINUTE),
            "minute");
    assertThat(count.buckets())
        .containsExactly(
            new Bucket(t0, 7, 70),
            new Bucket(t0 + 2 * MINUTE, 2, 8),
            new Bucket(t0 + 5 * MINUTE, 9, 9));
    Stats shorter =
        queries.stats(
            "channel:c1",
            "view",
            "sum",
            Long.toString(t0 + MINUTE),
            Long.toString(t0 + 5 * MINUTE),
            "minute");
    assertThat(shorter.buckets()).containsExactly(new Bucket(t0 + 2 * MINUTE, 2, 8));
  }

  @Test
  void aDerivedEntityIsAsFreshAsItsStalestPartition() {
    Partitioner partitioner = new Partitioner(P);
    for (int p = 0; p < P; p++) {
      asOf(p, clock.millis() - 1_000 * (p + 1));
    }
    assertThat(queries.total("channel:c1", "view").asOfMillis()).isEqualTo(clock.millis() - 4_000);
    assertThat(queries.stats("channel:c1", "view", null, null, null, "hour").asOfMillis())
        .isEqualTo(clock.millis() - 4_000);
    int own = partitioner.partition("video:1");
    assertThat(queries.total("video:1", "view").asOfMillis())
        .isEqualTo(clock.millis() - 1_000 * (own + 1));
  }

  @Test
  void aDerivedEntityWithAPartitionNeverAppliedIsAsOfTheEpoch() {
    asOf(0, clock.millis());
    assertThat(queries.total("channel:c1", "view").asOfMillis()).isZero();
  }

  @Test
  void entitiesOutsideTheConfiguredPrefixesReadOnlyTheirOwnRows() {
    write("video:1", Granularity.TOTAL, 0, 2, 2);
    write("video:1~0", Granularity.TOTAL, 0, 50, 50);
    write("category:x~0", Granularity.TOTAL, 0, 50, 50);
    assertThat(queries.total("video:1", "view").count()).isEqualTo(2);
    assertThat(queries.total("category:x", "view").count())
        .as("category is not configured")
        .isZero();
  }

  @Test
  void aSeriesOfADerivedEntitySumsEveryBucketAcrossShards() {
    List<Bucket> expected = new ArrayList<>();
    for (int m = 0; m < 10; m++) {
      long count = 0;
      for (int p = 0; p < P; p++) {
        if ((m + p) % 3 != 0) {
          write(
              DerivedEntities.shardName("channel:c9", p),
              Granularity.MINUTE,
              t0 + m * MINUTE,
              p + 1,
              2L * (p + 1));
          count += p + 1;
        }
      }
      expected.add(new Bucket(Granularity.MINUTE.bucketStart(t0 + m * MINUTE), count, 2 * count));
    }
    Stats s =
        queries.stats(
            "channel:c9",
            "view",
            "count",
            Long.toString(t0),
            Long.toString(t0 + 10 * MINUTE),
            "minute");
    assertThat(s.buckets()).containsExactlyElementsOf(expected);
  }
}
