package io.tally.model;

/**
 * How sums of event values stay honest: a sum is an exact {@code long} or {@link #OVERFLOW}, never
 * a wrapped number.
 *
 * <p>Values are never negative, so a sum only grows. Every place that adds sums — the aggregator,
 * the stores, the queries that merge rows — adds with {@link #add}, which saturates: once a sum
 * reaches {@code Long.MAX_VALUE} (2^63 − 1) it stays there, and that value means "more than the
 * largest exact sum", never a count of anything. Saturating addition is associative and commutative
 * on non-negative numbers, so the order in which deltas, rows and replicas are added does not
 * change the outcome. Answers write an overflowed sum as {@code "sum": null} with {@code
 * "sumOverflow": true} (docs/api.md).
 *
 * <p>Stateless and thread-safe.
 */
public final class Sums {
  /** A sum that reached 2^63 − 1 and so cannot be given exactly. */
  public static final long OVERFLOW = Long.MAX_VALUE;

  /** The largest sum given exactly: {@code 2^63 − 2}. */
  public static final long MAX_EXACT = OVERFLOW - 1;

  private Sums() {}

  /**
   * {@code a + b}, or {@link #OVERFLOW} if that reaches 2^63 − 1.
   *
   * @param a a sum or value, not negative
   * @param b a sum or value, not negative
   */
  public static long add(long a, long b) {
    long r = a + b;
    return r < 0 ? OVERFLOW : r;
  }

  /** Whether {@code sum} is {@link #OVERFLOW}: more than {@link #MAX_EXACT}, not exactly known. */
  public static boolean isOverflow(long sum) {
    return sum == OVERFLOW;
  }
}
