package io.tally.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaAggregator;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.CounterStore;
import io.tally.core.store.DeltaSink;
import io.tally.core.store.QuorumLoss;
import io.tally.core.store.ReadReport;
import io.tally.core.uniques.ActorSketch;
import io.tally.model.Bucket;
import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.model.Sums;
import io.tally.model.Uniques;
import java.util.List;
import java.util.NavigableMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every counter store and its delta sink must do. Subclasses open a fresh, empty store in
 * {@link #open()} and expose its two faces through {@link #store()} and {@link #sink()}.
 */
public abstract class CounterStoreContract {
  protected static final long HOUR = 3_600_000L;
  protected static final long T = 1_769_860_800_000L; // 2026-01-31T12:00:00Z

  protected abstract void open() throws Exception;

  protected abstract CounterStore store();

  protected abstract DeltaSink sink();

  protected void closeStore() throws Exception {}

  @BeforeEach
  void openFreshStore() throws Exception {
    open();
  }

  @AfterEach
  void close() throws Exception {
    closeStore();
  }

  protected static CounterDelta delta(
      String entity, String type, Granularity g, long bucket, long count, long sum) {
    return new CounterDelta(new CounterKey(entity, type, g, bucket), count, sum);
  }

  protected void write(CounterDelta... deltas) {
    sink().write(new DeltaBatch(List.of(deltas), List.of()));
  }

  @Test
  void aRowNeverWrittenReadsAsZero() {
    assertThat(store().read(CounterKey.total("video:1", "view"))).isEqualTo(new Bucket(0, 0, 0));
    assertThat(store().range("video:1", "view", Granularity.MINUTE, 0, T)).isEmpty();
  }

  @Test
  void deltasAddUpAcrossBatches() {
    write(delta("video:1", "view", Granularity.TOTAL, 0, 3, 30));
    write(
        delta("video:1", "view", Granularity.TOTAL, 0, 2, 5),
        delta("video:1", "like", Granularity.TOTAL, 0, 1, 1));
    assertThat(store().read(CounterKey.total("video:1", "view"))).isEqualTo(new Bucket(0, 5, 35));
    assertThat(store().read(CounterKey.total("video:1", "like"))).isEqualTo(new Bucket(0, 1, 1));
  }

  @Test
  void largeSumsAddExactly() {
    long big = 1L << 61;
    write(delta("video:1", "bytes", Granularity.TOTAL, 0, 1, big));
    write(delta("video:1", "bytes", Granularity.TOTAL, 0, 1, big));
    write(delta("video:1", "bytes", Granularity.TOTAL, 0, 1, 7));
    assertThat(store().read(CounterKey.total("video:1", "bytes")).sum()).isEqualTo(2 * big + 7);
  }

  /** The documented largest value, {@code ValidationLimits.DEFAULTS.maxValue()}. */
  private static final long MAX_VALUE = 1_000_000_000_000L;

  /**
   * Issue 20 item 4: 9.3M events of the largest value on one entity, in flushes of 100,000 events.
   * The sum passes 2^63 (and later 2^64): the row says it overflowed, and stays so, instead of
   * wrapping to a negative (or small) number; the count stays exact.
   */
  @Test
  void aSumPastTheLargestExactLongSaysItOverflowedAndNeverWraps() {
    for (int i = 0; i < 93; i++) {
      write(
          delta("acct:1", "bytes", Granularity.TOTAL, 0, 100_000, 100_000 * MAX_VALUE),
          delta(
              "acct:1",
              "bytes",
              Granularity.DAY,
              T - T % (24 * HOUR),
              100_000,
              100_000 * MAX_VALUE));
    }
    Bucket total = store().read(CounterKey.total("acct:1", "bytes"));
    assertThat(total.count()).isEqualTo(9_300_000);
    assertThat(total.sum()).isEqualTo(Sums.OVERFLOW);
    assertThat(total.sumOverflow()).isTrue();
    assertThat(store().range("acct:1", "bytes", Granularity.DAY, 0, T + 24 * HOUR))
        .containsExactly(new Bucket(T - T % (24 * HOUR), 9_300_000, Sums.OVERFLOW));
    for (int i = 0; i < 100; i++) { // 19.3M events: past 2^64, where a u64 lane would wrap
      write(delta("acct:1", "bytes", Granularity.TOTAL, 0, 100_000, 100_000 * MAX_VALUE));
    }
    assertThat(store().read(CounterKey.total("acct:1", "bytes")))
        .isEqualTo(new Bucket(0, 19_300_000, Sums.OVERFLOW));
  }

  @Test
  void sumsUpToTheLargestExactLongAreExact() {
    write(delta("acct:2", "bytes", Granularity.TOTAL, 0, 9_223_372, 9_223_372 * MAX_VALUE));
    write(delta("acct:2", "bytes", Granularity.TOTAL, 0, 1, 36_854_775_806L));
    assertThat(store().read(CounterKey.total("acct:2", "bytes")))
        .isEqualTo(new Bucket(0, 9_223_373, Sums.MAX_EXACT));
    write(delta("acct:2", "bytes", Granularity.TOTAL, 0, 1, 1));
    assertThat(store().read(CounterKey.total("acct:2", "bytes")))
        .isEqualTo(new Bucket(0, 9_223_374, Sums.OVERFLOW));
  }

  @Test
  void aDeltaThatOverflowedBeforeTheStoreOverflowsTheRow() {
    write(delta("acct:3", "bytes", Granularity.TOTAL, 0, 5, 50));
    write(delta("acct:3", "bytes", Granularity.TOTAL, 0, 9_300_000, Sums.OVERFLOW));
    write(delta("acct:3", "bytes", Granularity.TOTAL, 0, 1, 1));
    assertThat(store().read(CounterKey.total("acct:3", "bytes")))
        .isEqualTo(new Bucket(0, 9_300_006, Sums.OVERFLOW));
  }

  @Test
  void sumsBelowAndAboveTheCountAreExact() {
    write(delta("video:1", "zero", Granularity.TOTAL, 0, 3, 0));
    assertThat(store().read(CounterKey.total("video:1", "zero"))).isEqualTo(new Bucket(0, 3, 0));
    write(
        delta("video:1", "zero", Granularity.TOTAL, 0, 2, 10),
        delta("video:1", "zero", Granularity.MINUTE, T, 4, 4));
    assertThat(store().read(CounterKey.total("video:1", "zero"))).isEqualTo(new Bucket(0, 5, 10));
    write(delta("video:1", "zero", Granularity.MINUTE, T, 1, 0));
    assertThat(store().range("video:1", "zero", Granularity.MINUTE, T, T + 60_000))
        .containsExactly(new Bucket(T, 5, 4));
  }

  @Test
  void rangeReturnsTheBucketsInTheHalfOpenRangeInTimeOrder() {
    write(
        delta("video:1", "view", Granularity.HOUR, T + 2 * HOUR, 2, 2),
        delta("video:1", "view", Granularity.HOUR, T, 1, 1),
        delta("video:1", "view", Granularity.HOUR, T + HOUR, 4, 8),
        delta("video:1", "view", Granularity.HOUR, T + 3 * HOUR, 9, 9));
    assertThat(store().range("video:1", "view", Granularity.HOUR, T, T + 3 * HOUR))
        .containsExactly(
            new Bucket(T, 1, 1), new Bucket(T + HOUR, 4, 8), new Bucket(T + 2 * HOUR, 2, 2));
  }

  @Test
  void rangeOrdersBucketsBefore1970CorrectlyToo() {
    write(
        delta("video:1", "view", Granularity.MINUTE, -120_000, 1, 1),
        delta("video:1", "view", Granularity.MINUTE, -60_000, 2, 2),
        delta("video:1", "view", Granularity.MINUTE, 0, 3, 3),
        delta("video:1", "view", Granularity.MINUTE, 60_000, 4, 4));
    assertThat(store().range("video:1", "view", Granularity.MINUTE, -120_000, 60_000))
        .extracting(Bucket::startMillis)
        .containsExactly(-120_000L, -60_000L, 0L);
  }

  @Test
  void rowsOfOtherEntitiesTypesAndGranularitiesNeverLeakIntoARange() {
    write(
        delta("a", "bview", Granularity.MINUTE, T, 1, 1),
        delta("ab", "view", Granularity.MINUTE, T, 2, 2),
        delta("a", "b", Granularity.MINUTE, T, 3, 3),
        delta("a", "b", Granularity.HOUR, T, 4, 4),
        delta("a", "bb", Granularity.MINUTE, T, 5, 5));
    assertThat(store().range("a", "b", Granularity.MINUTE, 0, Long.MAX_VALUE))
        .containsExactly(new Bucket(T, 3, 3));
    assertThat(store().range("a", "bview", Granularity.MINUTE, 0, Long.MAX_VALUE))
        .containsExactly(new Bucket(T, 1, 1));
    assertThat(store().range("ab", "view", Granularity.MINUTE, 0, Long.MAX_VALUE))
        .containsExactly(new Bucket(T, 2, 2));
  }

  @Test
  void checkpointsAreStoredWithTheirDeltas() {
    assertThat(sink().checkpoint(3)).isEmpty();
    assertThat(store().asOfMillis(3)).isEmpty();
    Checkpoint cp = new Checkpoint(3, 42, T, T + 5);
    sink()
        .write(
            new DeltaBatch(
                List.of(delta("video:1", "view", Granularity.TOTAL, 0, 1, 1)), List.of(cp)));
    assertThat(sink().checkpoint(3)).contains(cp);
    assertThat(store().asOfMillis(3)).hasValue(T + 5);
    assertThat(sink().checkpoint(2)).isEmpty();
    Checkpoint later = new Checkpoint(3, 50, T + 1, T + 6);
    sink().write(new DeltaBatch(List.of(), List.of(later)));
    assertThat(sink().checkpoint(3)).contains(later);
  }

  /** A sketch of the actors {@code prefix0 … prefix(n-1)}, as the aggregator makes one. */
  protected static ActorSketch actors(String prefix, int n) {
    DeltaAggregator agg = new DeltaAggregator();
    for (int i = 0; i < n; i++) {
      agg.add(new Event(null, "e", "t", 0, 1, prefix + i));
    }
    return agg.drain().get(3).actors(); // minute, hour, day, total: the total's sketch
  }

  protected static CounterDelta delta(
      String entity, Granularity g, long bucket, long count, ActorSketch actors) {
    return new CounterDelta(new CounterKey(entity, "view", g, bucket), count, count, actors);
  }

  @Test
  void actorSketchesUnionAcrossDeltasAndAReplayedDeltaChangesNothing() {
    ActorSketch first = actors("u", 300);
    ActorSketch second = actors("u", 5000); // u0…u299 again and 4,700 more
    write(delta("video:1", Granularity.TOTAL, 0, 300, first));
    write(delta("video:1", Granularity.TOTAL, 0, 5000, second));
    ActorSketch once = store().actors(CounterKey.total("video:1", "view"), report());
    write(delta("video:1", Granularity.TOTAL, 0, 5000, second)); // a replay of the same delta
    write(delta("video:1", Granularity.TOTAL, 0, 300, first));
    ActorSketch replayed = store().actors(CounterKey.total("video:1", "view"), report());
    assertThat(replayed.estimate()).isEqualTo(once.estimate());
    Uniques u = replayed.estimate();
    assertThat(u.exact()).isFalse();
    assertThat(u.lowerBound()).isLessThanOrEqualTo(5000);
    assertThat(u.upperBound()).isGreaterThanOrEqualTo(5000);
    assertThat(store().read(CounterKey.total("video:1", "view")).count()).isEqualTo(10_600);
  }

  @Test
  void actorSketchesAreKeptPerBucketAndRowsWithoutActorsHaveNone() {
    write(
        delta("video:1", Granularity.MINUTE, T, 3, actors("a", 3)),
        delta("video:1", Granularity.MINUTE, T + 60_000, 2, actors("b", 2)),
        delta("video:1", Granularity.MINUTE, T + 120_000, 4, null),
        delta("video:2", Granularity.MINUTE, T, 9, actors("c", 9)));
    write(delta("video:1", Granularity.MINUTE, T, 3, actors("a", 5)));
    NavigableMap<Long, ActorSketch> range =
        store().actorsRange("video:1", "view", Granularity.MINUTE, T, T + HOUR, report());
    assertThat(range.keySet()).containsExactly(T, T + 60_000);
    assertThat(range.get(T).estimate()).isEqualTo(new Uniques(5, 5, 5, true));
    assertThat(range.get(T + 60_000).estimate()).isEqualTo(new Uniques(2, 2, 2, true));
    assertThat(
            store()
                .actors(
                    new CounterKey("video:1", "view", Granularity.MINUTE, T + 120_000), report()))
        .isNull();
    assertThat(store().actors(CounterKey.total("video:3", "view"), report())).isNull();
    assertThat(store().range("video:1", "view", Granularity.MINUTE, T, T + HOUR))
        .containsExactly(
            new Bucket(T, 6, 6), new Bucket(T + 60_000, 2, 2), new Bucket(T + 120_000, 4, 4));
  }

  private static ReadReport report() {
    return new ReadReport(QuorumLoss.STALE);
  }
}
