package io.tally.core.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.enrich.DerivedEntities;
import io.tally.core.log.EventBatch;
import io.tally.core.log.EventLog;
import io.tally.core.log.LogHead;
import io.tally.core.log.LogRecord;
import io.tally.core.partition.Partitioner;
import io.tally.core.validate.EventValidator;
import io.tally.core.validate.ValidationLimits;
import io.tally.model.Event;
import io.tally.model.IngestResult;
import io.tally.model.Position;
import io.tally.model.TallyException;
import io.tally.testkit.InMemoryEventLog;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@link AppendCoalescer}: the requests of one pass of the owner thread become one log append, each
 * is answered on the owner thread with its own outcome, and a failed append fails each of them.
 */
class AppendCoalescerTest {
  private static final int PARTITIONS = 8;
  private static final InstantSource CLOCK =
      InstantSource.fixed(Instant.parse("2026-12-05T12:00:00Z"));

  private final HeldLog log = new HeldLog(new InMemoryEventLog(PARTITIONS, CLOCK));
  private final Ingestor ingestor =
      new Ingestor(
          log,
          new Partitioner(PARTITIONS),
          new EventValidator(ValidationLimits.DEFAULTS),
          DerivedEntities.NONE,
          CLOCK,
          new IngestLimits(10_000, 25_000, 5_000_000),
          () -> 0);

  /** The owner thread's task queue: a pass ends when the test runs what was queued. */
  private final ArrayDeque<Runnable> later = new ArrayDeque<>();

  private final AppendCoalescer coalescer = new AppendCoalescer(ingestor, later::add);
  private final List<String> answered = new ArrayList<>();

  @Test
  void theRequestsOfOnePassAreOneAppendAndEachIsAnsweredWithItsOwnPartitions() {
    List<IngestResult> results = new ArrayList<>();
    for (int r = 0; r < 3; r++) {
      coalescer.submit(request("r" + r, "video:" + r), (result, failure) -> results.add(result));
    }
    assertThat(log.appended).isEmpty(); // nothing before the pass ends
    runPass();
    assertThat(log.appended).hasSize(1);
    assertThat(log.appended.get(0).size()).isEqualTo(3);
    assertThat(results).isEmpty(); // not durable yet
    log.releaseAll();
    assertThat(results).isEmpty(); // the answers run on the owner thread, not the log's
    runPass();
    assertThat(results).hasSize(3);
    Partitioner partitioner = new Partitioner(PARTITIONS);
    for (int r = 0; r < 3; r++) {
      IngestResult result = results.get(r);
      assertThat(result.accepted()).isEqualTo(1);
      Position own = Position.parse(result.position());
      assertThat(own.nextOffsets().keySet()).containsExactly(partitioner.partition("video:" + r));
    }
    assertThat(ingestor.inFlightEvents()).isZero();
    assertThat(ingestor.acceptedEvents()).isEqualTo(3);
  }

  @Test
  void aFailedAppendFailsEveryRequestOfThePassAndReleasesTheirEvents() {
    for (int r = 0; r < 2; r++) {
      String name = "r" + r;
      coalescer.submit(
          request(name, "video:" + r),
          (result, failure) -> answered.add(name + (failure == null ? " ok" : " failed")));
    }
    runPass();
    log.failAll(new TallyException("disk full"));
    runPass();
    assertThat(answered).containsExactly("r0 failed", "r1 failed");
    assertThat(ingestor.inFlightEvents()).isZero();
    assertThat(ingestor.acceptedEvents()).isZero();
  }

  @Test
  void aRequestWithoutValidEventsIsAnsweredAtOnceWithoutAnAppend() {
    Ingestor.Request request = ingestor.newRequest();
    request.rejected(0, "not an object");
    coalescer.submit(
        request, (result, failure) -> answered.add("rejected " + result.rejected().size()));
    assertThat(answered).containsExactly("rejected 1");
    assertThat(later).isEmpty();
    assertThat(log.appended).isEmpty();
  }

  @Test
  void aGroupReachingItsBoundIsAppendedBeforeThePassEnds() {
    int perRequest = 5_000;
    int requests = AppendCoalescer.MAX_GROUP_EVENTS / perRequest;
    for (int r = 0; r < requests; r++) {
      coalescer.submit(events("r" + r + "-", perRequest), (result, failure) -> answered.add("ok"));
    }
    assertThat(log.appended).hasSize(1);
    assertThat(log.appended.get(0).size()).isEqualTo(AppendCoalescer.MAX_GROUP_EVENTS);
    runPass(); // the pass's own append finds nothing left to do
    assertThat(log.appended).hasSize(1);
  }

  @Test
  void aRequestOverTheInFlightBoundIsRefusedAndNothingOfItIsQueued() {
    coalescer.submit(events("a", 10_000), (result, failure) -> answered.add("a"));
    coalescer.submit(events("b", 10_000), (result, failure) -> answered.add("b"));
    assertThatThrownBy(
            () -> coalescer.submit(events("c", 10_000), (result, failure) -> answered.add("c")))
        .isInstanceOf(OverloadedException.class);
    assertThat(ingestor.inFlightEvents()).isEqualTo(20_000);
    runPass();
    log.releaseAll();
    runPass();
    assertThat(answered).containsExactly("a", "b");
    assertThat(log.appended.get(0).size()).isEqualTo(20_000);
    assertThat(ingestor.inFlightEvents()).isZero();
  }

  private Ingestor.Request events(String prefix, int n) {
    Ingestor.Request request = ingestor.newRequest();
    for (int i = 0; i < n; i++) {
      request.event(i, new Event(prefix + i, "video:" + i, "view", CLOCK.millis(), 1));
    }
    return request;
  }

  private Ingestor.Request request(String id, String entity) {
    Ingestor.Request request = ingestor.newRequest();
    request.event(0, new Event(id, entity, "view", CLOCK.millis(), 1));
    return request;
  }

  private void runPass() {
    for (int n = later.size(); n > 0; n--) {
      later.poll().run();
    }
  }

  /** A log whose appends complete when the test says so (the real appender's fsync, held). */
  private static final class HeldLog implements EventLog {
    private final EventLog log;
    final List<EventBatch> appended = new ArrayList<>();
    private final List<CompletableFuture<Position>> held = new ArrayList<>();
    private final List<Position> positions = new ArrayList<>();

    HeldLog(EventLog log) {
      this.log = log;
    }

    void releaseAll() {
      for (int i = 0; i < held.size(); i++) {
        held.get(i).complete(positions.get(i));
      }
    }

    void failAll(Throwable failure) {
      held.forEach(f -> f.completeExceptionally(failure));
    }

    @Override
    public int partitions() {
      return log.partitions();
    }

    @Override
    public CompletableFuture<Position> append(EventBatch batch) {
      appended.add(batch);
      positions.add(log.append(batch).join());
      CompletableFuture<Position> f = new CompletableFuture<>();
      held.add(f);
      return f;
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
}
