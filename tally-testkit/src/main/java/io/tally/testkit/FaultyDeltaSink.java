package io.tally.testkit;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import io.tally.model.TallyException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A delta sink that tests can make fail or slow down, wrapping a real one. While failing, every
 * write throws before touching the delegate, as a store outage would. Thread-safe.
 */
public final class FaultyDeltaSink implements DeltaSink {
  private final DeltaSink delegate;
  private final AtomicBoolean failing = new AtomicBoolean();
  private final AtomicLong delayMillis = new AtomicLong();
  private final AtomicLong failedWrites = new AtomicLong();
  private final AtomicLong writes = new AtomicLong();

  public FaultyDeltaSink(DeltaSink delegate) {
    this.delegate = requireNonNull(delegate, "delegate");
  }

  /** Makes every write fail (true) or pass (false) from now on. */
  public void failing(boolean fail) {
    failing.set(fail);
  }

  /** Makes every write wait this long first (0: no delay). */
  public void delayMillis(long millis) {
    delayMillis.set(millis);
  }

  public long failedWrites() {
    return failedWrites.get();
  }

  public long successfulWrites() {
    return writes.get();
  }

  @Override
  public void write(DeltaBatch batch) {
    long delay = delayMillis.get();
    if (delay > 0) {
      try {
        Thread.sleep(delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (failing.get()) {
      failedWrites.incrementAndGet();
      throw new TallyException("injected store failure");
    }
    delegate.write(batch);
    writes.incrementAndGet();
  }

  @Override
  public Optional<Checkpoint> checkpoint(int partition) {
    return delegate.checkpoint(partition);
  }
}
