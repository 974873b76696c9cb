package io.tally.core.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.enrich.DerivedEntities;
import io.tally.core.enrich.Enrichment;
import io.tally.core.log.EventBatch;
import io.tally.core.partition.Partitioner;
import io.tally.core.query.QueryConfig;
import io.tally.core.query.QueryService;
import io.tally.core.validate.EventValidator;
import io.tally.core.validate.ValidationLimits;
import io.tally.model.Event;
import io.tally.testkit.FaultyDeltaSink;
import io.tally.testkit.InMemoryAttributeStore;
import io.tally.testkit.InMemoryCounterStore;
import io.tally.testkit.InMemoryEventLog;
import io.tally.testkit.ManualClock;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 20 item 2: a stop while the store is failing (a full disk) must not wait out retries that
 * cannot succeed; nothing is lost, since what was not written is counted from the log at the next
 * start. The clock stands still, so the old bounded retries (by that clock) could never end.
 */
class ProcessorStopTest {
  private static final int P = 2;
  private final ManualClock clock = ManualClock.at("2026-01-31T12:00:00Z");
  private final InMemoryEventLog log = new InMemoryEventLog(P, clock);
  private final InMemoryCounterStore store = new InMemoryCounterStore();
  private final FaultyDeltaSink sink = new FaultyDeltaSink(store);
  private final Partitioner partitioner = new Partitioner(P);

  private ProcessorGroup start() throws InterruptedException {
    ProcessorGroup group =
        new ProcessorGroup(
            log,
            sink,
            ProcessorConfig.DEFAULTS.withThreads(1),
            clock,
            new Enrichment(DerivedEntities.of(List.of()), new InMemoryAttributeStore()),
            ProcessorGroup.allPartitions(log));
    group.start();
    while (!group.recovered()) {
      Thread.sleep(5);
    }
    return group;
  }

  @Test
  void aStopWhileTheStoreFailsEndsAtOnceAndTheNextStartCountsEverything() throws Exception {
    EventBatch.Builder b = EventBatch.builder(P);
    for (int i = 0; i < 100; i++) {
      Event e = new Event("e" + i, "video:" + i % 7, "view", clock.millis(), 2);
      b.add(partitioner.partition(e.entity()), e);
    }
    log.append(b.build());
    sink.failing(true);
    ProcessorGroup group = start();
    clock.advance(ProcessorConfig.DEFAULTS.flushIntervalMillis()); // the flush is due: it fails
    while (sink.failedWrites() == 0) {
      Thread.sleep(5);
    }
    assertThat(group.health().ok()).isFalse();

    assertThat(group.stopAndAwait()).as("every processor thread ended").isTrue();

    sink.failing(false);
    ProcessorGroup again = start();
    assertThat(again.stopAndAwait()).isTrue();
    QueryService queries =
        new QueryService(
            store,
            partitioner,
            new EventValidator(ValidationLimits.DEFAULTS),
            clock,
            QueryConfig.DEFAULTS.withMaxBuckets(10_000).withCache(0, 0),
            DerivedEntities.of(List.of()));
    long count = 0;
    long sum = 0;
    for (int v = 0; v < 7; v++) {
      count += queries.total("video:" + v, "view").count();
      sum += queries.total("video:" + v, "view").sum();
    }
    assertThat(count).isEqualTo(100);
    assertThat(sum).isEqualTo(200);
  }
}
