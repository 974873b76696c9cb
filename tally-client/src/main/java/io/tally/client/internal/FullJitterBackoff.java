package io.tally.client.internal;

import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.functions.Either;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter: before retry n (n ≥ 1) wait a uniformly random time in [1
 * ms, min(max, initial × 2^(n−1))]. Spreading retries over the whole range keeps many clients that
 * failed together from retrying together. (1 ms, not 0: Resilience4j reads a wait below 1 ms as
 * "stop retrying".)
 *
 * <p>When the failed attempt carried the server's {@code Retry-After} (429, 503), the wait is that
 * long plus the jittered backoff, so clients told the same time do not all come back at once — and
 * never more than {@code max}. Thread-safe.
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
    long jitter = ThreadLocalRandom.current().nextLong(1, capMillis(attempt) + 1);
    Throwable failure = outcome != null && outcome.isLeft() ? outcome.getLeft() : null;
    if (failure instanceof CompletionException && failure.getCause() != null) {
      failure = failure.getCause();
    }
    if (failure instanceof RetriableException r && r.retryAfterMillis() >= 0) {
      return Math.min(maxMillis, r.retryAfterMillis() + jitter);
    }
    return jitter;
  }
}
