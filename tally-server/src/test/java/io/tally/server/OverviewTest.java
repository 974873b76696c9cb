package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.log.EventBatch;
import io.tally.core.store.Checkpoint;
import io.tally.core.topk.TopKConfig;
import io.tally.model.Event;
import io.tally.testkit.InMemoryCounterStore;
import io.tally.testkit.InMemoryEventLog;
import io.tally.testkit.ManualClock;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Overview} on in-memory seams with a manual clock: lag is the log's end minus the stored
 * checkpoint, freshness the oldest partition's as-of; a cluster node without the log or the store
 * says what it cannot tell rather than guessing.
 */
class OverviewTest {
  private final ManualClock clock = new ManualClock(1_000_000);
  private final long[] nanos = {0};

  private static JsonObject json(Overview o) {
    return new JsonObject(new String(o.json(), StandardCharsets.UTF_8));
  }

  @Test
  void lagIsTheLogEndMinusTheStoredCheckpointAndFreshnessTheOldestAsOf() {
    InMemoryEventLog log = new InMemoryEventLog(2, clock);
    InMemoryCounterStore store = new InMemoryCounterStore();
    EventBatch.Builder batch = EventBatch.builder(2);
    for (int i = 0; i < 5; i++) {
      batch.add(0, new Event("a" + i, "video:1", "view", clock.millis(), 1));
    }
    for (int i = 0; i < 3; i++) {
      batch.add(1, new Event("b" + i, "video:2", "view", clock.millis(), 1));
    }
    log.append(batch.build()).join();
    store.write(
        new DeltaBatch(
            List.of(),
            List.of(
                new Checkpoint(0, 4, clock.millis(), 999_000),
                new Checkpoint(1, 3, clock.millis(), 999_500))));
    clock.advance(700);

    JsonObject o =
        json(
            new Overview(
                "embedded",
                2,
                TopKConfig.DEFAULTS,
                null,
                Overview.progress(log, store::checkpoint, store),
                () -> -1,
                clock,
                () -> nanos[0]));

    assertThat(o.getLong("lagEvents")).isEqualTo(1);
    assertThat(o.getJsonArray("byPartition").getJsonObject(0).getLong("lagEvents")).isEqualTo(1);
    assertThat(o.getJsonArray("byPartition").getJsonObject(1).getLong("lagEvents")).isZero();
    assertThat(o.getString("asOf")).isEqualTo("1970-01-01T00:16:39Z");
    assertThat(o.getLong("freshnessMillis")).isEqualTo(1_000_700 - 999_000);
    assertThat(o.getValue("acceptedEvents")).isNull(); // no ingest role
    assertThat(o.getValue("eventsPerSecond")).isNull();
  }

  @Test
  void aNodeWithoutLogOrStoreReportsItsHealthBacklogAndNoAsOf() {
    JsonObject o =
        json(
            new Overview(
                "cluster",
                3,
                TopKConfig.DEFAULTS,
                null,
                Overview.progress(null, p -> null, null),
                () -> 42,
                clock,
                () -> nanos[0]));
    assertThat(o.getLong("lagEvents")).isEqualTo(42);
    assertThat(o.getJsonArray("byPartition")).hasSize(3);
    assertThat(o.getJsonArray("byPartition").getJsonObject(2).getValue("lagEvents")).isNull();
    assertThat(o.getValue("asOf")).isNull();
    assertThat(o.getValue("freshnessMillis")).isNull();
  }

  @Test
  void answersAreSharedForHalfASecond() {
    long[] backlog = {1};
    Overview o =
        new Overview(
            "cluster",
            1,
            TopKConfig.DEFAULTS,
            null,
            Overview.progress(null, p -> null, null),
            () -> backlog[0],
            clock,
            () -> nanos[0]);
    assertThat(json(o).getLong("lagEvents")).isEqualTo(1);
    backlog[0] = 2;
    nanos[0] += (Overview.REFRESH_MILLIS - 1) * 1_000_000;
    assertThat(json(o).getLong("lagEvents")).isEqualTo(1);
    nanos[0] += 1_000_000;
    assertThat(json(o).getLong("lagEvents")).isEqualTo(2);
  }
}
