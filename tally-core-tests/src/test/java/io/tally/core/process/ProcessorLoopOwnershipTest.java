package io.tally.core.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.enrich.Enrichment;
import io.tally.core.log.EventBatch;
import io.tally.core.log.LogRecord;
import io.tally.core.store.Checkpoint;
import io.tally.model.Event;
import io.tally.testkit.FaultyDeltaSink;
import io.tally.testkit.InMemoryCounterStore;
import io.tally.testkit.InMemoryEventLog;
import io.tally.testkit.ManualClock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The partition-ownership seam, step by step on a manual clock: an assigned partition is recovered
 * from its checkpoint, a revoked one is flushed before it goes, and a lost one (or a revoked one
 * whose flush fails) drops everything unwritten and recovers what is still owned, so nothing is
 * counted twice or lost.
 */
class ProcessorLoopOwnershipTest {
  private static final long FLUSH_MILLIS = 1_000;
  private static final ProcessorConfig CONFIG =
      ProcessorConfig.DEFAULTS.withThreads(1).withFlushIntervalMillis(FLUSH_MILLIS);

  private final ManualClock clock = ManualClock.at("2026-01-31T12:00:00Z");
  private final InMemoryEventLog log = new InMemoryEventLog(2, clock);
  private final InMemoryCounterStore store = new InMemoryCounterStore();
  private final FaultyDeltaSink sink = new FaultyDeltaSink(store);
  private final ScriptedConsumer consumer = new ScriptedConsumer();
  private final ProcessorLoop loop =
      new ProcessorLoop("test-processor", log, consumer, sink, CONFIG, clock, Enrichment.NONE);

  /** Ownership changes the test queues for the next poll; records read from the in-memory log. */
  private final class ScriptedConsumer implements LogConsumer {
    final Queue<Consumer<Listener>> changes = new ArrayDeque<>();
    final Map<Integer, Long> positions = new HashMap<>();

    @Override
    public List<Fetched> poll(Listener listener, boolean fetch) {
      while (!changes.isEmpty()) {
        changes.poll().accept(listener);
      }
      List<Fetched> out = new ArrayList<>();
      for (Map.Entry<Integer, Long> e : positions.entrySet()) {
        List<LogRecord> records =
            fetch ? log.read(e.getKey(), e.getValue(), 1_000) : List.<LogRecord>of();
        if (!records.isEmpty()) {
          e.setValue(records.get(records.size() - 1).offset() + 1);
        }
        out.add(new Fetched(e.getKey(), records, log.head(e.getKey())));
      }
      return out;
    }

    @Override
    public void seek(int partition, long offset) {
      positions.put(partition, offset);
    }

    void assign(int p) {
      changes.add(l -> l.assigned(List.of(p)));
    }

    void revoke(int p) {
      changes.add(
          l -> {
            l.revoked(List.of(p));
            positions.remove(p);
          });
    }

    void lose(int p) {
      changes.add(
          l -> {
            positions.remove(p);
            l.lost(List.of(p));
          });
    }

    @Override
    public void close() {}
  }

  private void append(int partition, String entity, String... ids) {
    EventBatch.Builder b = EventBatch.builder(2);
    for (String id : ids) {
      b.add(partition, new Event(id, entity, "view", clock.millis(), 1));
    }
    log.append(b.build());
  }

  private long total(String entity) {
    return store.read(CounterKey.total(entity, "view")).count();
  }

  private long checkpointOffset(int partition) {
    return store.checkpoint(partition).map(Checkpoint::nextOffset).orElse(0L);
  }

  private void flush() {
    clock.advance(FLUSH_MILLIS);
    loop.step();
  }

  @Test
  void anAssignedPartitionIsRecoveredFromItsCheckpointWithItsDedupWindow() {
    store.write(
        new DeltaBatch(List.of(), List.of(new Checkpoint(1, 2, clock.millis(), clock.millis()))));
    append(1, "video:b", "x", "y"); // offsets 0, 1: before the checkpoint, counted elsewhere
    append(1, "video:b", "y", "z"); // y is a duplicate within the window
    consumer.assign(1);
    assertThat(loop.step()).as("recovered").isEqualTo(1);
    assertThat(loop.ownedPartitions()).containsExactly(1);
    loop.step();
    flush();
    assertThat(total("video:b")).as("only z: y was sighted before the checkpoint").isEqualTo(1);
    assertThat(checkpointOffset(1)).isEqualTo(4);
  }

  @Test
  void aRevokedPartitionIsFlushedBeforeItGoes() {
    consumer.assign(0);
    consumer.assign(1);
    loop.step();
    append(0, "video:a", "1", "2");
    append(1, "video:b", "3");
    loop.step();
    assertThat(sink.successfulWrites()).isZero();
    consumer.revoke(1);
    loop.step();
    assertThat(total("video:a")).isEqualTo(2);
    assertThat(total("video:b")).isEqualTo(1);
    assertThat(checkpointOffset(1)).isEqualTo(1);
    assertThat(loop.ownedPartitions()).containsExactly(0);
  }

  @Test
  void aLostPartitionDropsWhatIsUnwrittenAndTheRestIsRecoveredAndCountedOnce() {
    consumer.assign(0);
    consumer.assign(1);
    loop.step();
    append(0, "video:a", "1", "2");
    append(1, "video:b", "3");
    loop.step(); // consumed, not written
    consumer.lose(1);
    loop.step();
    assertThat(loop.ownedPartitions()).containsExactly(0);
    assertThat(sink.successfulWrites()).as("nothing of a lost partition is written").isZero();
    loop.step(); // partition 0 is read again from its checkpoint
    flush();
    assertThat(total("video:a")).as("counted once after the reset").isEqualTo(2);
    assertThat(total("video:b")).as("the new owner counts it").isZero();
    assertThat(store.checkpoint(1)).isEmpty();
  }

  @Test
  void aRevokeWhoseFlushFailsDropsTheUnwrittenFlushAndRecoversTheRest() {
    consumer.assign(0);
    consumer.assign(1);
    loop.step();
    append(0, "video:a", "1");
    append(1, "video:b", "2");
    loop.step();
    sink.failing(true);
    clock.advance(FLUSH_MILLIS);
    assertThatThrownBy(loop::step).hasMessageContaining("writing deltas failed");
    consumer.revoke(1);
    assertThatThrownBy(loop::step)
        .as("the flush before the revoke fails too: the step reports it")
        .hasMessageContaining("writing deltas failed");
    assertThat(sink.failedWrites()).isEqualTo(2);
    sink.failing(false);
    loop.step();
    loop.step();
    flush();
    assertThat(total("video:a")).isEqualTo(1);
    assertThat(total("video:b")).isZero();
    assertThat(checkpointOffset(0)).isEqualTo(1);
    assertThat(loop.ownedPartitions()).containsExactly(0);
  }
}
