package io.tally.core.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.log.EventBatch;
import io.tally.core.log.LogRecord;
import io.tally.core.store.Checkpoint;
import io.tally.model.Event;
import io.tally.testkit.InMemoryCounterStore;
import io.tally.testkit.InMemoryEventLog;
import io.tally.testkit.ManualClock;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogRetentionTest {
  private static final long HOUR = 3_600_000L;
  private static final long WINDOW = 10 * 60_000L;
  private final ManualClock clock = ManualClock.at("2026-01-31T00:00:00Z");
  private final InMemoryEventLog log = new InMemoryEventLog(1, clock);
  private final InMemoryCounterStore store = new InMemoryCounterStore();
  private final LogRetention retention = new LogRetention(log, store, clock, 24 * HOUR, WINDOW);

  /** Appends one event per hour for {@code hours} hours. */
  private void appendHourly(int hours) {
    for (int h = 0; h < hours; h++) {
      log.append(
          EventBatch.builder(1)
              .add(0, new Event("e" + h, "video:1", "view", clock.millis(), 1))
              .build());
      clock.advance(HOUR);
    }
  }

  private void checkpointAt(long nextOffset) {
    LogRecord last = log.read(0, nextOffset - 1, 1).get(0);
    store.write(
        new DeltaBatch(
            List.of(),
            List.of(
                new Checkpoint(0, nextOffset, last.appendTimeMillis(), last.appendTimeMillis()))));
  }

  @Test
  void deletesRecordsOlderThanTheRetentionOnceProcessed() {
    appendHourly(48); // offsets 0..47, one hour apart; now = 48 h after the first
    checkpointAt(48);
    retention.run();
    // Kept: appended at or after now − 24 h, i.e. offsets 24..47.
    assertThat(log.startOffset(0)).isEqualTo(24);
  }

  @Test
  void neverDeletesWhatProcessingHasNotAppliedYet() {
    appendHourly(48);
    checkpointAt(10); // the processor is far behind
    retention.run();
    // Offset 9 is the last applied record; its dedup window (10 min) reaches back to offset 9.
    assertThat(log.startOffset(0)).isEqualTo(9);
  }

  @Test
  void neverDeletesWhatAnotherReaderStillNeeds() {
    appendHourly(48);
    checkpointAt(48);
    new LogRetention(log, store, clock, 24 * HOUR, WINDOW, p -> 15).run(); // the raw export
    assertThat(log.startOffset(0)).isEqualTo(15);
  }

  @Test
  void keepsEverythingWhenNothingWasProcessed() {
    appendHourly(48);
    retention.run();
    assertThat(log.startOffset(0)).isZero();
  }
}
