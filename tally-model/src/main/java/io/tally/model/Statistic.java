package io.tally.model;

import java.util.Locale;

/** What a series query returns per bucket: the number of events or the sum of their values. */
public enum Statistic {
  COUNT,
  SUM;

  public long of(Bucket bucket) {
    return this == COUNT ? bucket.count() : bucket.sum();
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
    throw new IllegalArgumentException("fn must be one of count, sum; got '" + name + "'");
  }
}
