package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Timer;
import io.tally.core.log.EventBatch;
import io.tally.core.log.EventLog;
import io.tally.core.log.LogHead;
import io.tally.core.log.LogRecord;
import io.tally.model.Position;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An {@link EventLog} that times each append from the call until the log reports it durable (or
 * failed): the {@code tally.log.append} timer. Every other call goes straight to the log it wraps.
 * Ingest appends through it; processors read the log directly. It also remembers whether the latest
 * append to complete failed ({@link #appendProblem()}), which {@code /readyz} reports. Thread-safe
 * as the wrapped log is.
 */
final class TimedEventLog implements EventLog {
  private final EventLog log;
  private final Timer appends;
  private volatile String appendProblem;

  TimedEventLog(EventLog log, Timer appends) {
    this.log = requireNonNull(log, "log");
    this.appends = requireNonNull(appends, "appends");
  }

  @Override
  public int partitions() {
    return log.partitions();
  }

  @Override
  public CompletableFuture<Position> append(EventBatch batch) {
    long start = System.nanoTime();
    CompletableFuture<Position> done = log.append(batch);
    done.whenComplete(
        (ok, failure) -> {
          appends.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
          appendProblem = failure == null ? null : reason(failure);
        });
    return done;
  }

  /** Why the latest append to complete failed, or null if it succeeded (or none completed yet). */
  String appendProblem() {
    return appendProblem;
  }

  private static String reason(Throwable failure) {
    Throwable t =
        failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }

  @Override
  public List<LogRecord> read(int partition, long fromOffset, int maxRecords) {
    return log.read(partition, fromOffset, maxRecords);
  }

  @Override
  public LogHead head(int partition) {
    return log.head(partition);
  }

  @Override
  public long startOffset(int partition) {
    return log.startOffset(partition);
  }

  @Override
  public long offsetForTime(int partition, long appendTimeMillis) {
    return log.offsetForTime(partition, appendTimeMillis);
  }

  @Override
  public void deleteBefore(int partition, long offset) {
    log.deleteBefore(partition, offset);
  }

  /** Does not close the wrapped log: its owner does. */
  @Override
  public void close() {}
}
