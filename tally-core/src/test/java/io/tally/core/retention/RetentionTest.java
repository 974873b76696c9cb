package io.tally.core.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.model.Granularity;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RetentionTest {
  private static final long NOW = Instant.parse("2026-03-10T12:34:56Z").toEpochMilli();
  private static final long DAY = 86_400_000L;

  @Test
  void defaultsKeepMinutesAWeekHoursNinetyDaysAndDaysAndTotalsForever() {
    Retention r = Retention.DEFAULTS;
    assertThat(r.minuteMillis()).isEqualTo(7 * DAY);
    assertThat(r.hourMillis()).isEqualTo(90 * DAY);
    assertThat(r.dayMillis()).isEqualTo(Retention.FOREVER);
    assertThat(r.millis(Granularity.TOTAL)).isEqualTo(Retention.FOREVER);
    assertThat(r).hasToString("minute 7d, hour 90d, day forever, total forever");
  }

  @Test
  void aBucketIsRetainedUntilItsEndPlusTheRetention() {
    Retention r = Retention.DEFAULTS;
    long oldest = r.oldestRetainedBucket(Granularity.MINUTE, NOW);
    assertThat(oldest).isEqualTo(Instant.parse("2026-03-03T12:34:00Z").toEpochMilli());
    assertThat(r.retains(Granularity.MINUTE, oldest, NOW)).isTrue();
    assertThat(r.retains(Granularity.MINUTE, oldest - 60_000, NOW)).isFalse();
    // the oldest retained bucket ends after now − retention; the one before it does not
    assertThat(r.remainingMillis(Granularity.MINUTE, oldest, NOW)).isPositive();
    assertThat(r.remainingMillis(Granularity.MINUTE, oldest - 60_000, NOW)).isNotPositive();
    assertThat(r.oldestRetainedBucket(Granularity.DAY, NOW)).isEqualTo(Long.MIN_VALUE);
    assertThat(r.remainingMillis(Granularity.DAY, 0, NOW)).isEqualTo(Retention.FOREVER);
    assertThat(r.retains(Granularity.TOTAL, 0, NOW)).isTrue();
  }

  @Test
  void parsesAndDescribesDurations() {
    assertThat(Retention.parse("7d")).isEqualTo(7 * DAY);
    assertThat(Retention.parse("36H")).isEqualTo(36 * 3_600_000L);
    assertThat(Retention.parse("90m")).isEqualTo(90 * 60_000L);
    assertThat(Retention.parse("forever")).isEqualTo(Retention.FOREVER);
    assertThat(Retention.describe(36 * 3_600_000L)).isEqualTo("36h");
    for (String bad : new String[] {"", "7", "-1d", "0h", "7w", "1.5d", "d"}) {
      assertThatThrownBy(() -> Retention.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("7d, 36h, 90m");
    }
  }

  @Test
  void refusesRetentionThatShrinksFromFinerToCoarserOrIsTooShort() {
    assertThatThrownBy(() -> Retention.DEFAULTS.with(Granularity.HOUR, DAY))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not shrink")
        .hasMessageContaining("hour 1d");
    assertThatThrownBy(() -> Retention.DEFAULTS.with(Granularity.MINUTE, 60_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 1h");
    assertThatThrownBy(() -> Retention.DEFAULTS.with(Granularity.TOTAL, 10 * DAY))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(Retention.DEFAULTS.with(Granularity.DAY, 400 * DAY).dayMillis())
        .isEqualTo(400 * DAY);
  }

  @Test
  void timeRangesHoldWholeBucketsAndStartOnTheirSpan() {
    for (Granularity g : Granularity.TIMED) {
      long span = TimeRanges.spanMillis(g);
      assertThat(span % g.millis()).as(g.wireName()).isZero();
      long bucket = g.bucketStart(NOW);
      long r = TimeRanges.rangeStart(g, bucket);
      assertThat(r).isLessThanOrEqualTo(bucket).isGreaterThan(bucket - span);
      assertThat(TimeRanges.rangeStart(g, -g.millis())).isEqualTo(-span);
    }
    assertThat(TimeRanges.rangeStart(Granularity.TOTAL, 0)).isZero();
  }
}
