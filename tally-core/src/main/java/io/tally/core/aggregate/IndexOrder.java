package io.tally.core.aggregate;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The numbers {@code 0 … n − 1} sorted by a comparator over them: how the aggregator's flat tables
 * (rows kept in parallel arrays) are put in the stores' key order at drain.
 */
final class IndexOrder {
  private IndexOrder() {}

  /** {@code 0 … n − 1} in the order of {@code order} (a stable sort). */
  static int[] sorted(int n, Comparator<Integer> order) {
    Integer[] boxed = new Integer[n];
    for (int i = 0; i < n; i++) {
      boxed[i] = i;
    }
    Arrays.sort(boxed, order);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = boxed[i];
    }
    return out;
  }
}
