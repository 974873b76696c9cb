package io.tally.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class SumsTest {
  private static final BigInteger OVERFLOW = BigInteger.valueOf(Sums.OVERFLOW);

  /** The exact sum if below 2^63 − 1, else OVERFLOW: never a wrapped number. */
  private static long expected(long... xs) {
    BigInteger s = BigInteger.ZERO;
    for (long x : xs) {
      s = s.add(BigInteger.valueOf(x));
    }
    return s.compareTo(OVERFLOW) >= 0 ? Sums.OVERFLOW : s.longValueExact();
  }

  @Property
  void addsExactlyOrSaysItOverflowed(
      @ForAll @LongRange(min = 0) long a, @ForAll @LongRange(min = 0) long b) {
    assertThat(Sums.add(a, b)).isEqualTo(expected(a, b));
  }

  @Property
  void theOrderOfAdditionDoesNotMatter(
      @ForAll @LongRange(min = 0) long a,
      @ForAll @LongRange(min = 0) long b,
      @ForAll @LongRange(min = 0) long c) {
    long leftFirst = Sums.add(Sums.add(a, b), c);
    assertThat(Sums.add(a, Sums.add(b, c))).isEqualTo(leftFirst);
    assertThat(Sums.add(Sums.add(c, a), b)).isEqualTo(leftFirst).isEqualTo(expected(a, b, c));
  }

  @Test
  void theIssuesNinePointThreeMillionEventsOfTheLargestValueOverflow() {
    long sum = 0;
    for (int i = 0; i < 9_300_000; i++) {
      sum = Sums.add(sum, 1_000_000_000_000L);
    }
    assertThat(Sums.isOverflow(sum)).isTrue();
    assertThat(Sums.add(Sums.MAX_EXACT - 5, 6)).isEqualTo(Sums.OVERFLOW);
    assertThat(Sums.add(Sums.MAX_EXACT - 5, 5)).isEqualTo(Sums.MAX_EXACT);
    assertThat(new Total("a", "b", 1, Sums.OVERFLOW, 0).sumOverflow()).isTrue();
    assertThat(new Bucket(0, 1, Sums.MAX_EXACT).sumOverflow()).isFalse();
  }
}
