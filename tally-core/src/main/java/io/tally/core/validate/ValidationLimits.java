package io.tally.core.validate;

/**
 * The limits an event must meet to be accepted. docs/api.md lists the defaults.
 *
 * @param maxIdLength longest id in characters (printable ASCII)
 * @param maxEntityLength longest entity in characters
 * @param maxTypeLength longest type in characters
 * @param maxPastMillis how far before the receive time an event time may lie; defaults to the
 *     minute retention, since older events could not be kept in every granularity
 * @param maxFutureMillis how far after the receive time an event time may lie (clock skew)
 * @param maxValue largest value, at most {@link #MAX_VALUE_LIMIT}; values are never negative, so
 *     sums only grow
 */
public record ValidationLimits(
    int maxIdLength,
    int maxEntityLength,
    int maxTypeLength,
    long maxPastMillis,
    long maxFutureMillis,
    long maxValue) {

  /**
   * The largest {@code maxValue} allowed, 2^40 (about 1.1 × 10^12): the bound the embedded store's
   * sum lanes rely on to prove a sum exact (tally-rocksdb {@code CounterKeyDescriptor}).
   */
  public static final long MAX_VALUE_LIMIT = 1L << 40;

  public static final ValidationLimits DEFAULTS =
      new ValidationLimits(128, 256, 64, 7L * 24 * 3600 * 1000, 3600 * 1000L, 1_000_000_000_000L);

  public ValidationLimits {
    if (maxIdLength < 1 || maxEntityLength < 1 || maxTypeLength < 1) {
      throw new IllegalArgumentException("length limits must be positive");
    }
    if (maxTypeLength > 255 || maxEntityLength > 1024 || maxIdLength > 1024) {
      throw new IllegalArgumentException(
          "length limits may not exceed id 1024, entity 1024, type 255 (the storage formats' bounds)");
    }
    if (maxPastMillis < 0 || maxFutureMillis < 0 || maxValue < 0) {
      throw new IllegalArgumentException("time and value limits must not be negative");
    }
    if (maxValue > MAX_VALUE_LIMIT) {
      throw new IllegalArgumentException(
          "maxValue may not exceed " + MAX_VALUE_LIMIT + " (2^40), got " + maxValue);
    }
  }
}
