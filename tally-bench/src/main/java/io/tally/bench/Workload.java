package io.tally.bench;

import io.tally.model.Event;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Inputs shaped like the load of {@code tally bench}: entities {@code video:0 … video:99999} drawn
 * Zipf(1.0) (a few hot videos, a long tail), type {@code view}, ids {@code <run>-<seq>}, value 1,
 * event times 1 ms apart. Seeded, so every run of a benchmark measures the same data.
 *
 * <p>Only used by {@code @Setup} methods, never inside measured code. Not thread-safe.
 */
final class Workload {
  static final int ENTITIES = 100_000;
  static final String TYPE = "view";

  /** 2026-01-31T12:00:00Z, the first event time. */
  static final long START_MILLIS = 1_769_860_800_000L;

  private static final String RUN = "mkz3q8a1";

  private final SplittableRandom random;
  private final double[] cdf = new double[ENTITIES];
  private final String[] names = new String[ENTITIES];
  private long seq;

  Workload(long seed) {
    random = new SplittableRandom(seed);
    double total = 0;
    for (int k = 0; k < ENTITIES; k++) {
      total += 1.0 / (k + 1);
      cdf[k] = total;
      names[k] = "video:" + k;
    }
    for (int k = 0; k < ENTITIES; k++) {
      cdf[k] /= total;
    }
  }

  /** An entity drawn Zipf(1.0). */
  String entity() {
    int i = Arrays.binarySearch(cdf, random.nextDouble());
    return names[Math.min(ENTITIES - 1, i >= 0 ? i : -i - 1)];
  }

  /** A fresh, unique event id of the shape {@code tally bench} sends. */
  String id() {
    return RUN + "-" + seq++;
  }

  /** An event with a fresh id and a Zipf entity at {@code timeMillis}. */
  Event event(long timeMillis) {
    return new Event(id(), entity(), TYPE, timeMillis, 1);
  }

  /** {@code n} events 1 ms apart from {@link #START_MILLIS}. */
  List<Event> events(int n) {
    List<Event> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(event(START_MILLIS + i));
    }
    return out;
  }
}
