package io.tally.server;

import static java.util.Objects.requireNonNull;

import java.util.function.LongSupplier;

/**
 * A per-second rate of a growing count (events accepted) over a sliding window of the last {@code
 * windowSeconds}: {@link #sample()} is called about once a second and keeps the last samples in a
 * ring; {@link #perSecond()} compares the count now with the oldest sample in the ring. Until a
 * full window was sampled the rate covers the time since the first sample.
 *
 * <p>Thread-safe (sampled on an event loop, read on worker threads).
 */
final class EventRate {
  /** How often {@link #sample()} is meant to be called. */
  static final long SAMPLE_MILLIS = 1000;

  private final LongSupplier count;
  private final LongSupplier nanoTicker;
  private final long[] sampleNanos;
  private final long[] sampleCounts;
  private int next;
  private int size;

  /**
   * @param count the growing count, e.g. events accepted so far
   * @param nanoTicker monotonic nanoseconds ({@code System::nanoTime} in production)
   * @param windowSeconds how far back the rate looks, at least 1
   */
  EventRate(LongSupplier count, LongSupplier nanoTicker, int windowSeconds) {
    this.count = requireNonNull(count, "count");
    this.nanoTicker = requireNonNull(nanoTicker, "nanoTicker");
    if (windowSeconds < 1) {
      throw new IllegalArgumentException("windowSeconds must be at least 1, got " + windowSeconds);
    }
    sampleNanos = new long[windowSeconds + 1];
    sampleCounts = new long[windowSeconds + 1];
    sample();
  }

  /** Records the count now. */
  synchronized void sample() {
    sampleNanos[next] = nanoTicker.getAsLong();
    sampleCounts[next] = count.getAsLong();
    next = (next + 1) % sampleNanos.length;
    size = Math.min(size + 1, sampleNanos.length);
  }

  /** Per second over the window (0 if no time has passed since the first sample). */
  synchronized double perSecond() {
    int oldest = size < sampleNanos.length ? 0 : next;
    long elapsedNanos = nanoTicker.getAsLong() - sampleNanos[oldest];
    if (elapsedNanos <= 0) {
      return 0;
    }
    return (count.getAsLong() - sampleCounts[oldest]) * 1e9 / elapsedNanos;
  }
}
