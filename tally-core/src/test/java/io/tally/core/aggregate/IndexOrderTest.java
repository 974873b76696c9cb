package io.tally.core.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IndexOrderTest {
  /**
   * Against the JDK's stable sort of boxed numbers, over sizes around the insertion-sort runs and
   * the merge widths, with many ties (so stability shows) and with already sorted and reversed
   * input.
   */
  @Test
  void sortsStablyAsTheJdkDoes() {
    Random random = new Random(7);
    for (int n : new int[] {0, 1, 2, 31, 32, 33, 63, 64, 65, 100, 257, 1000, 4097}) {
      for (int shape = 0; shape < 4; shape++) {
        int[] keys = new int[n];
        for (int i = 0; i < n; i++) {
          keys[i] =
              switch (shape) {
                case 0 -> random.nextInt(Math.max(1, n / 8)); // many ties
                case 1 -> i; // sorted
                case 2 -> n - i; // reversed
                default -> random.nextInt();
              };
        }
        Integer[] expected = new Integer[n];
        for (int i = 0; i < n; i++) {
          expected[i] = i;
        }
        Arrays.sort(expected, Comparator.comparingInt(i -> keys[i]));
        int[] sorted = IndexOrder.sorted(n, (a, b) -> Integer.compare(keys[a], keys[b]));
        assertThat(sorted)
            .as("n=%d shape=%d", n, shape)
            .containsExactly(Arrays.stream(expected).mapToInt(Integer::intValue).toArray());
      }
    }
  }
}
