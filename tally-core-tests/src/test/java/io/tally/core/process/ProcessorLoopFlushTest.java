package io.tally.core.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.enrich.Enrichment;
import io.tally.core.log.EventBatch;
import io.tally.core.partition.Partitioner;
import io.tally.core.store.Checkpoint;
import io.tally.model.Event;
import io.tally.model.TallyException;
import io.tally.testkit.FaultyDeltaSink;
import io.tally.testkit.InMemoryCounterStore;
import io.tally.testkit.InMemoryEventLog;
import io.tally.testkit.ManualClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The flush protocol step by step on one thread, driven by a manual clock: nothing is written
 * before the flush interval, a flush writes the deltas with their checkpoint, a failed write holds
 * consumption and is retried with the same batch, and a restart resumes at the checkpoint with the
 * dedup window rebuilt.
 */
class ProcessorLoopFlushTest {
  private static final int P = 2;
  private static final String ENTITY = "video:1";
  private static final long FLUSH_MILLIS = 1_000;
  private static final ProcessorConfig CONFIG =
      ProcessorConfig.DEFAULTS.withThreads(1).withFlushIntervalMillis(FLUSH_MILLIS);

  private final ManualClock clock = ManualClock.at("2026-01-31T12:00:00Z");
  private final InMemoryEventLog log = new InMemoryEventLog(P, clock);
  private final InMemoryCounterStore store = new InMemoryCounterStore();
  private final FaultyDeltaSink sink = new FaultyDeltaSink(store);
  private final int partition = new Partitioner(P).partition(ENTITY);
  private ProcessorLoop loop;

  private ProcessorLoop newLoop() {
    return new ProcessorLoop(
        "test-processor",
        log,
        new EventLogConsumer(log, new int[] {0, 1}, CONFIG.maxPollRecords()),
        sink,
        CONFIG,
        clock,
        Enrichment.NONE);
  }

  @BeforeEach
  void recover() {
    loop = newLoop();
    assertThat(loop.doWork()).as("the first duty cycle recovers both partitions").isEqualTo(2);
    assertThat(loop.recovered()).isTrue();
  }

  private void append(String... ids) {
    EventBatch.Builder b = EventBatch.builder(P);
    for (String id : ids) {
      b.add(partition, new Event(id, ENTITY, "view", clock.millis(), 1));
    }
    log.append(b.build());
  }

  private long total() {
    return store.read(CounterKey.total(ENTITY, "view")).count();
  }

  private long checkpointOffset() {
    return store.checkpoint(partition).map(Checkpoint::nextOffset).orElse(0L);
  }

  @Test
  void writesDeltasAndCheckpointOnlyWhenTheFlushIntervalIsDue() {
    append("a", "b", "a");
    assertThat(loop.step()).as("records consumed").isEqualTo(3);
    assertThat(sink.successfulWrites()).isZero();
    assertThat(loop.lagEvents(partition)).isEqualTo(3);

    clock.advance(FLUSH_MILLIS);
    assertThat(loop.step()).as("one batch written").isEqualTo(1);
    assertThat(sink.successfulWrites()).isEqualTo(1);
    assertThat(total()).as("the duplicate id is dropped").isEqualTo(2);
    assertThat(checkpointOffset()).isEqualTo(3);
    assertThat(loop.lagEvents(partition)).isZero();

    assertThat(loop.step()).as("nothing new and no flush due: nothing done").isZero();
    long asOf = store.checkpoint(partition).orElseThrow().asOfMillis();
    clock.advance(FLUSH_MILLIS);
    loop.step();
    assertThat(total()).isEqualTo(2);
    assertThat(checkpointOffset()).isEqualTo(3);
    assertThat(store.checkpoint(partition).orElseThrow().asOfMillis())
        .as("an idle flush moves the as-of time only")
        .isEqualTo(asOf + FLUSH_MILLIS);
  }

  @Test
  void aFailedWriteHoldsConsumptionAndIsRetriedWithTheSameBatch() {
    append("a", "b");
    loop.step();
    clock.advance(FLUSH_MILLIS);
    loop.step();
    assertThat(checkpointOffset()).isEqualTo(2);

    append("c", "d");
    loop.step();
    sink.failing(true);
    clock.advance(FLUSH_MILLIS);
    assertThatThrownBy(loop::step)
        .isInstanceOf(TallyException.class)
        .hasMessageContaining("writing deltas failed");
    append("e");
    assertThatThrownBy(loop::step).isInstanceOf(TallyException.class);
    assertThat(sink.failedWrites()).isEqualTo(2);
    assertThat(total()).as("a failed flush applies nothing").isEqualTo(2);
    assertThat(checkpointOffset()).isEqualTo(2);
    assertThat(loop.lagEvents(partition)).isEqualTo(3);

    sink.failing(false);
    assertThat(loop.step()).as("the retry writes the pending batch").isEqualTo(1);
    assertThat(total()).isEqualTo(4);
    assertThat(checkpointOffset())
        .as("the event logged while the write failed is not in the retried batch")
        .isEqualTo(4);

    clock.advance(FLUSH_MILLIS);
    assertThat(loop.step()).as("consumed one record and wrote it").isEqualTo(2);
    assertThat(total()).isEqualTo(5);
    assertThat(checkpointOffset()).isEqualTo(5);
  }

  @Test
  void aStopDrainsWhatIsLoggedAndWritesItAsTheLastFlush() {
    append("a", "b", "c");
    assertThat(loop.drain()).as("consumed first, more may follow").isFalse();
    assertThat(loop.drain()).as("caught up: sealed and written").isTrue();
    assertThat(total()).isEqualTo(3);
    assertThat(checkpointOffset()).isEqualTo(3);
  }

  @Test
  void aRestartResumesAtTheCheckpointWithTheDedupWindowRebuilt() {
    append("a", "b");
    loop.step();
    clock.advance(FLUSH_MILLIS);
    loop.step();
    append("c");
    loop.step(); // consumed, not flushed: lost with the process

    ProcessorLoop restarted = newLoop();
    restarted.doWork();
    append("a", "d");
    clock.advance(FLUSH_MILLIS);
    assertThat(restarted.step()).as("three records consumed, one batch written").isEqualTo(4);
    assertThat(total()).as("c and d counted once, the repeated a dropped").isEqualTo(4);
    assertThat(checkpointOffset()).isEqualTo(5);
  }

  @Test
  void whatIsAppendedAfterAWrittenFlushIsBacklogBeforeTheNextPoll() {
    append("a", "b");
    loop.step();
    clock.advance(FLUSH_MILLIS);
    loop.step();
    assertThat(loop.backlog()).as("everything polled is written").isZero();

    // DiskFullTest read the totals once /healthz said "backlogEvents": 0 and missed 13,200
    // acknowledged events: the head known at the last poll did not include them
    append("c", "d", "e");
    assertThat(loop.backlog()).isEqualTo(3);
    assertThat(loop.lagEvents(partition)).isEqualTo(3);

    clock.advance(FLUSH_MILLIS);
    loop.step();
    assertThat(loop.backlog()).isZero();
    assertThat(total()).isEqualTo(5);
  }

  @Test
  void aRecoveredPartitionCountsWhatTheLogHoldsAsBacklogBeforeItsFirstPoll() {
    append("a", "b", "c");
    ProcessorLoop restarted = newLoop();
    assertThat(restarted.doWork()).as("recovery only").isEqualTo(2);
    assertThat(restarted.recovered()).isTrue();
    // tally bench-replay waited for "recovered and backlog 0" and saw it before the first poll
    assertThat(restarted.backlog()).isEqualTo(3);
  }
}
