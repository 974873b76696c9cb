package io.tally.core.uniques;

/**
 * How distinct actors are sketched.
 *
 * @param lgK log2 of the number of HLL registers per sketch, 4..21. The relative standard error of
 *     an estimate is about {@code 1.04 / sqrt(2^lgK)} (lgK 12: 1.6 %, so the 95 % bounds are about
 *     ±3.3 %); a row's sketch takes at most {@code 2^(lgK-1) + 40} bytes (lgK 12: 2,088 bytes), and
 *     4 bytes per distinct actor while it is still exact (docs/configuration.md)
 */
public record UniquesConfig(int lgK) {
  public static final int MIN_LG_K = 4;
  public static final int MAX_LG_K = 21;
  public static final UniquesConfig DEFAULTS = new UniquesConfig(12);

  public UniquesConfig {
    if (lgK < MIN_LG_K || lgK > MAX_LG_K) {
      throw new IllegalArgumentException(
          "uniques lgK must be between " + MIN_LG_K + " and " + MAX_LG_K + ", got " + lgK);
    }
  }
}
