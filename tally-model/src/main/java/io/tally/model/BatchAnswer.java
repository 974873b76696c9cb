package io.tally.model;

/**
 * One item's answer in a {@code /v1/stats/batch} answer: exactly one of a total (an item without a
 * granularity), a series, or the reason the item was refused.
 *
 * @param total the total, or null
 * @param stats the series, or null
 * @param error why the item was refused, or null
 */
public record BatchAnswer(Total total, Stats stats, String error) {
  public BatchAnswer {
    if ((total != null ? 1 : 0) + (stats != null ? 1 : 0) + (error != null ? 1 : 0) != 1) {
      throw new IllegalArgumentException("a batch answer is a total, a series or an error");
    }
  }

  public static BatchAnswer of(Total total) {
    return new BatchAnswer(total, null, null);
  }

  public static BatchAnswer of(Stats stats) {
    return new BatchAnswer(null, stats, null);
  }

  public static BatchAnswer error(String reason) {
    return new BatchAnswer(null, null, reason);
  }

  public boolean failed() {
    return error != null;
  }
}
