package io.tally.model;

import java.util.Locale;

/**
 * What a series query returns per bucket: the number of events, the sum of their values, their mean
 * value (sum / count), or the number of distinct actors (an estimate with bounds).
 */
public enum Statistic {
  COUNT,
  SUM,
  AVG,
  UNIQUES;

  /**
   * The whole-number value of {@code bucket} for {@link #COUNT}, {@link #SUM} and {@link #UNIQUES}
   * (its estimate; 0 when the bucket carries none).
   *
   * @throws IllegalStateException for {@link #AVG}, which is not a whole number: use {@link
   *     Bucket#avg()}
   */
  public long of(Bucket bucket) {
    return switch (this) {
      case COUNT -> bucket.count();
      case SUM -> bucket.sum();
      case UNIQUES -> bucket.uniques() == null ? 0 : bucket.uniques().estimate();
      case AVG -> throw new IllegalStateException("avg is not a whole number; use Bucket.avg()");
    };
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * @throws IllegalArgumentException naming the allowed values
   */
  public static Statistic fromWireName(String name) {
    for (Statistic s : values()) {
      if (s.wireName().equalsIgnoreCase(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "fn must be one of count, sum, avg, uniques; got '" + name + "'");
  }
}
