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
import io.tally.model.Bucket;
import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.testkit.InMemoryAttributeStore;
import io.tally.testkit.InMemoryCounterStore;
import io.tally.testkit.InMemoryEventLog;
import io.tally.testkit.ManualClock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The processor loop with enrichment over the in-memory seams: derived counts equal the sums of
 * their members' counts in every granularity, and an attribute change only affects events processed
 * after it.
 */
class EnrichedProcessingTest {
  private static final int P = 4;
  private static final String[] TYPES = {"view", "like"};
  private final ManualClock clock = ManualClock.at("2026-01-31T12:00:00Z");
  private final InMemoryEventLog log = new InMemoryEventLog(P, clock);
  private final InMemoryCounterStore store = new InMemoryCounterStore();
  private final InMemoryAttributeStore attributes = new InMemoryAttributeStore();
  private final Partitioner partitioner = new Partitioner(P);
  private final DerivedEntities derived = DerivedEntities.of(List.of("channel", "category"));
  private final QueryService queries =
      new QueryService(
          store,
          partitioner,
          new EventValidator(ValidationLimits.DEFAULTS),
          clock,
          QueryConfig.DEFAULTS.withMaxBuckets(10_000).withCache(0, 0),
          derived);

  private void append(List<Event> events) {
    EventBatch.Builder b = EventBatch.builder(P);
    events.forEach(e -> b.add(partitioner.partition(e.entity()), e));
    log.append(b.build());
  }

  /** Starts processors, lets them count everything logged, and stops them (which flushes). */
  private void processAll() throws InterruptedException {
    ProcessorGroup group =
        new ProcessorGroup(
            log,
            store,
            ProcessorConfig.DEFAULTS.withThreads(2),
            clock,
            new Enrichment(derived, attributes),
            ProcessorGroup.allPartitions(log));
    group.start();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!group.recovered()) {
      assertThat(System.nanoTime()).as("recovered within 10 s").isLessThan(deadline);
      Thread.sleep(5);
    }
    assertThat(group.stopAndAwait()).isTrue();
    assertThat(group.backlog()).isZero();
  }

  @Test
  void derivedCountsEqualTheSumOfTheirMembersInEveryGranularity() throws InterruptedException {
    Map<String, List<String>> members = new HashMap<>();
    for (int v = 0; v < 60; v++) {
      String video = "video:" + v;
      Map<String, String> a = new HashMap<>();
      if (v % 10 != 9) { // every tenth video has no channel
        a.put("channel", "c" + v % 5);
        members.computeIfAbsent("channel:c" + v % 5, k -> new ArrayList<>()).add(video);
      }
      a.put("category", "k" + v % 3);
      members.computeIfAbsent("category:k" + v % 3, k -> new ArrayList<>()).add(video);
      attributes.put(video, a);
    }
    Random random = new Random(7);
    List<Event> sent = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      long time = clock.millis() - random.nextInt(3 * 3_600_000);
      sent.add(
          new Event(
              "e" + i,
              "video:" + random.nextInt(66),
              TYPES[random.nextInt(2)],
              time,
              1 + random.nextInt(5)));
      if (random.nextInt(10) == 0) {
        sent.add(sent.get(random.nextInt(sent.size()))); // a client retry: counted once
      }
    }
    append(sent);
    processAll();

    long from = Granularity.DAY.bucketStart(clock.millis() - 3 * 3_600_000);
    long to = clock.millis() + 60_000;
    for (Map.Entry<String, List<String>> d : members.entrySet()) {
      for (String type : TYPES) {
        long count = 0;
        long sum = 0;
        for (String m : d.getValue()) {
          count += queries.total(m, type).count();
          sum += queries.total(m, type).sum();
        }
        assertThat(count).as("%s has events", d.getKey()).isPositive();
        assertThat(queries.total(d.getKey(), type).count())
            .as("count of %s %s", d.getKey(), type)
            .isEqualTo(count);
        assertThat(queries.total(d.getKey(), type).sum())
            .as("sum of %s %s", d.getKey(), type)
            .isEqualTo(sum);
        for (Granularity g : Granularity.TIMED) {
          Map<Long, Bucket> want = new HashMap<>();
          for (String m : d.getValue()) {
            for (Bucket b : series(m, type, g, from, to)) {
              want.merge(
                  b.startMillis(),
                  b,
                  (x, y) -> new Bucket(x.startMillis(), x.count() + y.count(), x.sum() + y.sum()));
            }
          }
          List<Bucket> got = series(d.getKey(), type, g, from, to);
          assertThat(got).as("%s %s by %s", d.getKey(), type, g).hasSameSizeAs(want.values());
          for (Bucket b : got) {
            assertThat(b)
                .as("%s %s %s at %d", d.getKey(), type, g, b.startMillis())
                .isEqualTo(want.get(b.startMillis()));
          }
        }
      }
    }
  }

  private List<Bucket> series(String entity, String type, Granularity g, long from, long to) {
    return queries
        .stats(entity, type, "count", Long.toString(from), Long.toString(to), g.wireName())
        .buckets();
  }

  @Test
  void anAttributeChangeOnlyAffectsEventsProcessedAfterIt() throws InterruptedException {
    attributes.put("video:1", Map.of("channel", "a"));
    append(
        List.of(
            new Event("x1", "video:1", "view", clock.millis(), 1),
            new Event("x2", "video:1", "view", clock.millis(), 1)));
    processAll();
    attributes.put("video:1", Map.of("channel", "b"));
    clock.advance(1_000);
    append(
        List.of(
            new Event("x3", "video:1", "view", clock.millis(), 1),
            new Event("x1", "video:1", "view", clock.millis(), 1)));
    processAll();
    attributes.delete("video:1");
    append(List.of(new Event("x4", "video:1", "view", clock.millis(), 1)));
    processAll();

    assertThat(queries.total("video:1", "view").count()).isEqualTo(4);
    assertThat(queries.total("channel:a", "view").count())
        .as("counted before the change")
        .isEqualTo(2);
    assertThat(queries.total("channel:b", "view").count())
        .as("after the change; x1 is a duplicate")
        .isEqualTo(1);
  }
}
