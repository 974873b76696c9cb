package io.tally.cli;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Draws entity names {@code video:0 … video:n-1} with Zipf(s) popularity, like real video views (s
 * = 0: uniform). Immutable and thread-safe; draws use the caller's {@link ThreadLocalRandom}.
 */
final class ZipfSampler {
  private final double[] cdf;
  private final String[] names;
  private final double exponent;

  ZipfSampler(int entities, double exponent) {
    if (entities < 1 || exponent < 0) {
      throw new IllegalArgumentException("entities must be ≥ 1 and the Zipf exponent ≥ 0");
    }
    this.exponent = exponent;
    cdf = new double[entities];
    names = new String[entities];
    double total = 0;
    for (int k = 0; k < entities; k++) {
      total += 1 / Math.pow(k + 1, exponent);
      cdf[k] = total;
      names[k] = "video:" + k;
    }
    for (int k = 0; k < entities; k++) {
      cdf[k] /= total;
    }
  }

  String next() {
    return names[nextIndex()];
  }

  /** The index k of a drawn entity {@code video:k}. */
  int nextIndex() {
    int i = Arrays.binarySearch(cdf, ThreadLocalRandom.current().nextDouble());
    return Math.min(cdf.length - 1, i >= 0 ? i : -i - 1);
  }

  String name(int index) {
    return names[index];
  }

  int entities() {
    return names.length;
  }

  double exponent() {
    return exponent;
  }
}
