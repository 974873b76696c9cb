package io.tally.client.internal;

import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.functions.Either;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter: before retry n (n ≥ 1) wait a uniformly random time in
 * [1 ms, min(max, initial × 2^(n−1))]. Spreading retries over the whole range keeps many clients
 * that failed together from retrying together. (1 ms, not 0: Resilience4j reads a wait below 1 ms
 * as "stop retrying".) Thread-safe.
 */
public final class FullJitterBackoff implements IntervalBiFunction<Object> {
  private final long initialMillis;
  private final long maxMillis;

  public FullJitterBackoff(Duration initial, Duration max) {
    this.initialMillis = Math.max(1, initial.toMillis());
    this.maxMillis = Math.max(initialMillis, max.toMillis());
  }

  /** The upper bound of the wait before retry {@code n} (from 1), in milliseconds. */
  public long capMillis(int n) {
    int shift = Math.min(Math.max(0, n - 1), 40);
    long cap = initialMillis << shift;
    return cap <= 0 || cap > maxMillis ? maxMillis : cap;
  }

  @Override
  public Long apply(Integer attempt, Either<Throwable, Object> outcome) {
    return ThreadLocalRandom.current().nextLong(1, capMillis(attempt) + 1);
  }
}
