package io.tally.model;

/**
 * How many distinct actors a row or range had, as estimated by a sketch: the estimate and its
 * bounds at 95 % confidence (two standard deviations).
 *
 * @param estimate the estimated number of distinct actors, rounded to a whole number
 * @param lowerBound at 95 % confidence the true number is at least this
 * @param upperBound at 95 % confidence the true number is at most this
 * @param exact true while the sketch still lists every actor's hash (then the estimate is the
 *     number of distinct hashes, exact but for the rare hash collision: docs/api.md)
 */
public record Uniques(long estimate, long lowerBound, long upperBound, boolean exact) {
  /** No actors at all. */
  public static final Uniques NONE = new Uniques(0, 0, 0, true);

  public Uniques {
    if (lowerBound < 0 || lowerBound > estimate || estimate > upperBound) {
      throw new IllegalArgumentException(
          "need 0 <= lowerBound <= estimate <= upperBound, got "
              + lowerBound
              + ", "
              + estimate
              + ", "
              + upperBound);
    }
  }
}
