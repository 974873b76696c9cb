package io.tally.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.log.EventBatch;
import io.tally.core.log.EventLog;
import io.tally.core.log.LogHead;
import io.tally.core.log.LogRecord;
import io.tally.model.Event;
import io.tally.model.Position;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link EventLog} must do. Subclass it with a factory for the implementation under
 * test; each test gets a fresh, empty log with {@value #PARTITIONS} partitions and a manual clock.
 */
public abstract class EventLogContract {
  protected static final int PARTITIONS = 4;
  protected final ManualClock clock = ManualClock.at("2026-01-31T12:00:00Z");
  protected EventLog log;

  /** A fresh, empty log with {@code partitions} partitions reading {@code clock}. */
  protected abstract EventLog openLog(int partitions, ManualClock clock) throws Exception;

  @BeforeEach
  void openFreshLog() throws Exception {
    log = openLog(PARTITIONS, clock);
  }

  @AfterEach
  void closeLog() {
    log.close();
  }

  protected static Event event(String id, String entity) {
    return new Event(id, entity, "view", 1_769_860_800_000L, 1);
  }

  protected void append(int partition, int n, String idPrefix) throws Exception {
    EventBatch.Builder b = EventBatch.builder(log.partitions());
    for (int i = 0; i < n; i++) {
      b.add(partition, event(idPrefix + i, "video:" + i));
    }
    log.append(b.build()).get(10, TimeUnit.SECONDS);
  }

  /** Reads everything from {@code from} to the end, however the log batches its answers. */
  protected List<LogRecord> readAll(int partition, long from) {
    List<LogRecord> out = new ArrayList<>();
    long next = from;
    while (true) {
      List<LogRecord> page = log.read(partition, next, 7);
      if (page.isEmpty()) {
        return out;
      }
      out.addAll(page);
      next = page.get(page.size() - 1).offset() + 1;
    }
  }

  @Test
  void appendedEventsGetDenseOffsetsFromZeroInAppendOrder() throws Exception {
    append(1, 5, "a");
    append(1, 3, "b");
    List<LogRecord> records = readAll(1, 0);
    assertThat(records)
        .extracting(LogRecord::offset)
        .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
    assertThat(records)
        .extracting(r -> r.event().id())
        .containsExactly("a0", "a1", "a2", "a3", "a4", "b0", "b1", "b2");
    assertThat(log.head(1).endOffset()).isEqualTo(8);
    assertThat(log.head(0).endOffset()).isZero();
    assertThat(readAll(0, 0)).isEmpty();
  }

  @Test
  void eventsRoundTripUnchanged() throws Exception {
    Event e = new Event("id-1", "video:42", "like", -5_000L, 123_456_789L);
    Event noId = new Event(null, "user:ü", "view", Long.MAX_VALUE, 0);
    log.append(EventBatch.builder(PARTITIONS).add(2, e).add(2, noId).build())
        .get(10, TimeUnit.SECONDS);
    assertThat(readAll(2, 0)).extracting(LogRecord::event).containsExactly(e, noId);
  }

  @Test
  void readsFromTheMiddleAndAnswersEmptyAtTheEnd() throws Exception {
    append(0, 10, "x");
    assertThat(readAll(0, 6)).extracting(LogRecord::offset).containsExactly(6L, 7L, 8L, 9L);
    assertThat(log.read(0, 10, 100)).isEmpty();
    assertThat(log.read(0, 1000, 100)).isEmpty();
  }

  @Test
  void readReturnsAtLeastOneAndRoughlyAtMostMaxRecords() throws Exception {
    for (int i = 0; i < 5; i++) {
      append(3, 4, "r" + i);
    }
    List<LogRecord> page = log.read(3, 0, 5);
    assertThat(page).isNotEmpty();
    assertThat(page.size()).isLessThanOrEqualTo(5 + 4);
  }

  /**
   * Lets {@code millis} of the log's time pass. A log that stamps records with its own clock (the
   * manual one here) advances it; a log stamped by a server's clock (Kafka's append time) overrides
   * this to wait in real time.
   */
  protected void letTimePass(long millis) throws Exception {
    clock.advance(millis);
  }

  @Test
  void appendTimesNeverDecreaseAndTheHeadCoversThem() throws Exception {
    append(0, 2, "a");
    clock.advance(-60_000); // a clock stepping back must not reorder append times
    append(0, 2, "b");
    letTimePass(120_000);
    append(0, 2, "c");
    List<LogRecord> records = readAll(0, 0);
    for (int i = 1; i < records.size(); i++) {
      assertThat(records.get(i).appendTimeMillis())
          .isGreaterThanOrEqualTo(records.get(i - 1).appendTimeMillis());
    }
    letTimePass(1_000);
    LogHead head = log.head(0);
    assertThat(head.endOffset()).isEqualTo(6);
    assertThat(records)
        .allSatisfy(
            r -> assertThat(r.appendTimeMillis()).isLessThanOrEqualTo(head.completeBeforeMillis()));
  }

  @Test
  void offsetForTimeFindsTheFirstRecordAtOrAfterTheTime() throws Exception {
    append(2, 3, "a");
    letTimePass(10_000);
    append(2, 2, "b");
    letTimePass(10_000);
    append(2, 1, "c");
    List<LogRecord> records = readAll(2, 0);
    long ta = records.get(0).appendTimeMillis();
    long tb = records.get(3).appendTimeMillis();
    long tc = records.get(5).appendTimeMillis();
    assertThat(records.get(2).appendTimeMillis()).isLessThan(tb);
    assertThat(records.get(4).appendTimeMillis()).isLessThan(tc);
    assertThat(log.offsetForTime(2, ta - 1)).isZero();
    assertThat(log.offsetForTime(2, ta)).isZero();
    assertThat(log.offsetForTime(2, records.get(2).appendTimeMillis() + 1)).isEqualTo(3);
    assertThat(log.offsetForTime(2, tb)).isEqualTo(3);
    assertThat(log.offsetForTime(2, records.get(4).appendTimeMillis() + 1)).isEqualTo(5);
    assertThat(log.offsetForTime(2, tc + 1)).isEqualTo(6);
    assertThat(log.offsetForTime(1, ta)).isZero();
  }

  @Test
  void deleteBeforeDropsOldRecordsButKeepsOffsets() throws Exception {
    append(1, 3, "a");
    append(1, 3, "b");
    append(1, 3, "c");
    log.deleteBefore(1, 6);
    assertThat(log.startOffset(1)).isEqualTo(6);
    assertThat(readAll(1, 0)).extracting(LogRecord::offset).containsExactly(6L, 7L, 8L);
    append(1, 1, "d");
    assertThat(readAll(1, 0)).extracting(LogRecord::offset).containsExactly(6L, 7L, 8L, 9L);
    assertThat(log.head(1).endOffset()).isEqualTo(10);
    assertThat(log.startOffset(0)).isZero();
  }

  @Test
  void concurrentAppendsAreAllStoredExactlyOnce() throws Exception {
    int threads = 4;
    int perThread = 200;
    List<CompletableFuture<Position>> futures = new ArrayList<>();
    List<String> appendedIds = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread w =
          new Thread(
              () -> {
                for (int i = 0; i < perThread; i++) {
                  EventBatch.Builder b = EventBatch.builder(PARTITIONS);
                  b.add(i % PARTITIONS, event("t" + id + "-" + i, "video:" + i));
                  synchronized (futures) {
                    futures.add(log.append(b.build()));
                    appendedIds.add("t" + id + "-" + i);
                  }
                }
              });
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join();
    }
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    Set<String> ids = new HashSet<>();
    long total = 0;
    List<List<LogRecord>> partitions = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      List<LogRecord> records = readAll(p, 0);
      partitions.add(records);
      for (int i = 0; i < records.size(); i++) {
        assertThat(records.get(i).offset()).isEqualTo(i);
        ids.add(records.get(i).event().id());
      }
      total += records.size();
    }
    assertThat(total).isEqualTo(threads * perThread);
    assertThat(ids).hasSize(threads * perThread);
    // each append's position names its one partition, just past its event (read-your-writes)
    for (int i = 0; i < futures.size(); i++) {
      Position position = futures.get(i).get();
      assertThat(position.nextOffsets()).hasSize(1);
      int p = position.nextOffsets().firstKey();
      long next = position.nextOffsets().get(p);
      assertThat(partitions.get(p).get((int) next - 1).event().id()).isEqualTo(appendedIds.get(i));
    }
  }

  @Test
  void anAppendsPositionIsPastItsLastEventInEachPartitionItTouched() throws Exception {
    append(1, 3, "a");
    EventBatch.Builder b = EventBatch.builder(log.partitions());
    b.add(1, event("b0", "video:1")).add(1, event("b1", "video:2")).add(2, event("b2", "video:3"));
    Position position = log.append(b.build()).get(10, TimeUnit.SECONDS);
    assertThat(position.nextOffsets()).containsOnly(Map.entry(1, 5L), Map.entry(2, 1L));
    assertThat(Position.parse(position.token())).isEqualTo(position);
  }

  @Test
  void refusesABatchBuiltForAnotherPartitionCount() {
    EventBatch wrong = EventBatch.builder(PARTITIONS + 1).add(0, event("a", "b")).build();
    assertThatThrownBy(() -> log.append(wrong)).isInstanceOf(IllegalArgumentException.class);
  }
}
