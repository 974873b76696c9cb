package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tally.core.log.EventBatch;
import io.tally.core.log.EventLog;
import io.tally.core.log.LogHead;
import io.tally.core.log.LogRecord;
import io.tally.testkit.InMemoryEventLog;
import java.io.IOException;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Issue 20: {@code /readyz}'s log check said "ok/open" while every append failed. It now reports
 * the failing appends, and "open" again once an append succeeds.
 */
class ReadinessLogCheckTest {
  /** The in-memory log, whose appends fail while {@link #failing} is set (a full disk, say). */
  private static final class FailingAppends implements EventLog {
    final EventLog log = new InMemoryEventLog(1, InstantSource.system());
    final AtomicBoolean failing = new AtomicBoolean();

    @Override
    public int partitions() {
      return log.partitions();
    }

    @Override
    public CompletableFuture<io.tally.model.Position> append(EventBatch batch) {
      return failing.get()
          ? CompletableFuture.failedFuture(new IOException("No space left on device"))
          : log.append(batch);
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

    @Override
    public void close() {}
  }

  @Test
  void theLogCheckFailsWhileAppendsFailAndRecovers() {
    FailingAppends log = new FailingAppends();
    TimedEventLog timed =
        new TimedEventLog(log, Timer.builder("t").register(new SimpleMeterRegistry()));
    Readiness.Resource resource =
        new Readiness.Resource(
            "log",
            () -> true,
            () ->
                timed.appendProblem() == null ? null : "appends failing: " + timed.appendProblem());
    log.failing.set(true);
    timed.append(EventBatch.builder(1).build());
    Readiness.Check failing = check(resource);
    assertThat(failing.ok()).isFalse();
    assertThat(failing.detail()).isEqualTo("appends failing: No space left on device");
    log.failing.set(false);
    timed.append(EventBatch.builder(1).build());
    assertThat(check(resource).ok()).isTrue();
    assertThat(check(resource).detail()).isEqualTo("open");
  }

  private static Readiness.Check check(Readiness.Resource r) {
    Readiness readiness =
        new Readiness(List.of(r), new Health(List.of(), InstantSource.system(), 1_000), 1_000);
    return readiness.report().checks().get(0);
  }
}
