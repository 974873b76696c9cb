package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A {@link DeltaSink} that measures each flush the processors write: its duration ({@code
 * tally.flush}), its size in counter rows ({@code tally.flush.rows}) and failed attempts ({@code
 * tally.flush.failures}). Thread-safe as the wrapped sink is.
 */
final class TimedDeltaSink implements DeltaSink {
  private final DeltaSink sink;
  private final Timer duration;
  private final DistributionSummary rows;
  private final Counter failures;

  TimedDeltaSink(DeltaSink sink, Timer duration, DistributionSummary rows, Counter failures) {
    this.sink = requireNonNull(sink, "sink");
    this.duration = requireNonNull(duration, "duration");
    this.rows = requireNonNull(rows, "rows");
    this.failures = requireNonNull(failures, "failures");
  }

  @Override
  public void write(DeltaBatch batch) {
    long start = System.nanoTime();
    try {
      sink.write(batch);
    } catch (RuntimeException e) {
      failures.increment();
      throw e;
    }
    duration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    rows.record(batch.deltas().size());
  }

  @Override
  public Optional<Checkpoint> checkpoint(int partition) {
    return sink.checkpoint(partition);
  }
}
