package io.tally.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

class GranularityTest {
  /** 9999-12-31T23:59:59.999Z, the latest time Tally accepts anywhere. */
  private static final long MAX_TIME = 253402300799999L;

  private static long at(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }

  @Provide
  Arbitrary<Granularity> timed() {
    return Arbitraries.of(Granularity.TIMED);
  }

  @Provide
  Arbitrary<Long> anyTime() {
    // Mix uniform times over the whole range with times near the epoch and near bucket edges.
    return Arbitraries.oneOf(
        Arbitraries.longs().between(-MAX_TIME, MAX_TIME),
        Arbitraries.longs().between(-3 * 86_400_000L, 3 * 86_400_000L),
        Combinators.combine(
                Arbitraries.longs().between(-4_000_000_000L, 4_000_000_000L),
                Arbitraries.of(-1L, 0L, 1L))
            .as((minutes, nudge) -> minutes * 60_000L + nudge),
        Arbitraries.of(-MAX_TIME, MAX_TIME, -1L, 0L, 1L));
  }

  @Property
  void bucketStartIsAtOrBeforeTheTimeAndTheBucketHoldsIt(
      @ForAll("timed") Granularity g, @ForAll("anyTime") long t) {
    long start = g.bucketStart(t);
    assertThat(start).isLessThanOrEqualTo(t);
    assertThat(t).isLessThan(start + g.millis());
  }

  @Property
  void bucketStartIsAMultipleOfTheBucketLength(
      @ForAll("timed") Granularity g, @ForAll("anyTime") long t) {
    assertThat(Math.floorMod(g.bucketStart(t), g.millis())).isZero();
  }

  @Property
  void bucketStartIsIdempotent(@ForAll("timed") Granularity g, @ForAll("anyTime") long t) {
    long start = g.bucketStart(t);
    assertThat(g.bucketStart(start)).isEqualTo(start);
  }

  @Property
  void everyTimeOfABucketMapsToTheSameStart(
      @ForAll("timed") Granularity g,
      @ForAll("anyTime") long t,
      @ForAll @LongRange(min = 0, max = 86_399_999L) long offset) {
    long start = g.bucketStart(t);
    long inside = start + offset % g.millis();
    assertThat(g.bucketStart(inside)).isEqualTo(start);
    assertThat(g.bucketStart(start + g.millis())).isEqualTo(start + g.millis());
    assertThat(g.bucketStart(start - 1)).isEqualTo(start - g.millis());
  }

  @Property
  void coarserBucketsContainFinerOnes(@ForAll("anyTime") long t) {
    long minute = Granularity.MINUTE.bucketStart(t);
    long hour = Granularity.HOUR.bucketStart(t);
    long day = Granularity.DAY.bucketStart(t);
    assertThat(Granularity.HOUR.bucketStart(minute)).isEqualTo(hour);
    assertThat(Granularity.DAY.bucketStart(hour)).isEqualTo(day);
  }

  @Property
  void totalHasOneBucketStartingAtZero(@ForAll long t) {
    assertThat(Granularity.TOTAL.bucketStart(t)).isZero();
    assertThat(Granularity.TOTAL.millis()).isZero();
  }

  @Example
  void hourBoundaryIsInUtcAtTheEuropeanDaylightSavingSwitch() {
    // 2026-03-29T01:00Z is when central Europe jumps from 02:00 to 03:00 local time.
    assertThat(Granularity.HOUR.bucketStart(at("2026-03-29T00:59:59.999Z")))
        .isEqualTo(at("2026-03-29T00:00:00Z"));
    assertThat(Granularity.HOUR.bucketStart(at("2026-03-29T01:00:00Z")))
        .isEqualTo(at("2026-03-29T01:00:00Z"));
    assertThat(Granularity.MINUTE.bucketStart(at("2026-03-29T00:59:59.999Z")))
        .isEqualTo(at("2026-03-29T00:59:00Z"));
  }

  @Example
  void dayStartsAtMidnightUtcRegardlessOfDaylightSaving() {
    assertThat(Granularity.DAY.bucketStart(at("2026-03-28T23:59:59.999Z")))
        .isEqualTo(at("2026-03-28T00:00:00Z"));
    assertThat(Granularity.DAY.bucketStart(at("2026-03-29T00:00:00Z")))
        .isEqualTo(at("2026-03-29T00:00:00Z"));
    assertThat(Granularity.DAY.bucketStart(at("2026-03-29T23:59:59.999Z")))
        .isEqualTo(at("2026-03-29T00:00:00Z"));
    // US switch day, 2026-03-08: still 24 h long in UTC.
    assertThat(Granularity.DAY.bucketStart(at("2026-03-08T12:00:00Z")) + Granularity.DAY.millis())
        .isEqualTo(at("2026-03-09T00:00:00Z"));
  }

  @Example
  void oneMillisecondBeforeTheEpochIsInTheLastBucketsOf1969() {
    assertThat(Granularity.MINUTE.bucketStart(-1)).isEqualTo(at("1969-12-31T23:59:00Z"));
    assertThat(Granularity.HOUR.bucketStart(-1)).isEqualTo(at("1969-12-31T23:00:00Z"));
    assertThat(Granularity.DAY.bucketStart(-1)).isEqualTo(at("1969-12-31T00:00:00Z"));
    assertThat(Granularity.MINUTE.bucketStart(0)).isZero();
  }

  @Example
  void lastMillisecondOfYear9999IsInTheLastBuckets() {
    assertThat(Granularity.MINUTE.bucketStart(MAX_TIME)).isEqualTo(at("9999-12-31T23:59:00Z"));
    assertThat(Granularity.HOUR.bucketStart(MAX_TIME)).isEqualTo(at("9999-12-31T23:00:00Z"));
    assertThat(Granularity.DAY.bucketStart(MAX_TIME)).isEqualTo(at("9999-12-31T00:00:00Z"));
  }

  @Example
  void bucketLengthsAreAMinuteAnHourAndADay() {
    assertThat(Granularity.MINUTE.millis()).isEqualTo(60_000L);
    assertThat(Granularity.HOUR.millis()).isEqualTo(3_600_000L);
    assertThat(Granularity.DAY.millis()).isEqualTo(86_400_000L);
    assertThat(Granularity.TIMED)
        .containsExactly(Granularity.MINUTE, Granularity.HOUR, Granularity.DAY);
  }

  @Example
  void fromWireNameIgnoresCase() {
    assertThat(Granularity.fromWireName("minute")).isEqualTo(Granularity.MINUTE);
    assertThat(Granularity.fromWireName("HOUR")).isEqualTo(Granularity.HOUR);
    assertThat(Granularity.fromWireName("dAy")).isEqualTo(Granularity.DAY);
    assertThat(Granularity.fromWireName("Total")).isEqualTo(Granularity.TOTAL);
  }

  @Property
  void wireNameRoundTrips(@ForAll Granularity g) {
    assertThat(g.wireName()).isEqualTo(g.name().toLowerCase(Locale.ROOT));
    assertThat(Granularity.fromWireName(g.wireName())).isEqualTo(g);
  }

  @Example
  void fromWireNameRejectsUnknownNamesListingTheAllowedOnes() {
    assertThatThrownBy(() -> Granularity.fromWireName("week"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("minute, hour, day, total")
        .hasMessageContaining("'week'");
    assertThatThrownBy(() -> Granularity.fromWireName(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("minute, hour, day, total");
    assertThatThrownBy(() -> Granularity.fromWireName(null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
