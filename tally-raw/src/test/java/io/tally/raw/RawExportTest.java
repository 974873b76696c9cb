package io.tally.raw;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.enrich.AttributeStore;
import io.tally.core.log.EventBatch;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.raw.RawConfig;
import io.tally.core.raw.RawExport;
import io.tally.core.raw.RawGap;
import io.tally.core.raw.RawSql;
import io.tally.core.store.Checkpoint;
import io.tally.model.Event;
import io.tally.model.TallyException;
import io.tally.testkit.FaultyRawStore;
import io.tally.testkit.InMemoryAttributeStore;
import io.tally.testkit.InMemoryCounterStore;
import io.tally.testkit.InMemoryEventLog;
import io.tally.testkit.ManualClock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RawExportTest {
  private static final long T0 = 1_764_900_000_000L; // a minute start (2025-12-05T02:00Z)

  @TempDir Path dir;
  private final ManualClock clock = new ManualClock(T0);
  private final InMemoryEventLog log = new InMemoryEventLog(2, clock);
  private final InMemoryCounterStore counted = new InMemoryCounterStore();
  private final InMemoryAttributeStore attributes = new InMemoryAttributeStore();
  private DuckDbRawStore store;

  @BeforeEach
  void open() {
    store = DuckDbRawStore.open(dir);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private RawExport export() {
    return new RawExport(log, counted, store, attributes, ProcessorConfig.DEFAULTS, 3);
  }

  private void append(int partition, Event... events) {
    EventBatch.Builder b = EventBatch.builder(2);
    for (Event e : events) {
      b.add(partition, e);
    }
    log.append(b.build()).join();
  }

  /** The processor's committed checkpoint: everything logged so far is counted, as of now. */
  private void countEverything() {
    for (int p = 0; p < 2; p++) {
      long end = log.head(p).endOffset();
      counted.write(
          new DeltaBatch(
              List.of(), List.of(new Checkpoint(p, end, clock.millis(), clock.millis()))));
    }
  }

  private long count(String where) {
    RawSql.Answer a =
        new DuckDbRawSql(store, RawConfig.DEFAULTS, 2)
            .query("SELECT count(*) FROM events WHERE " + where);
    return (Long) a.rows().get(0).get(0);
  }

  private static Event view(String id, String entity) {
    return new Event(id, entity, "view", T0, 1);
  }

  @Test
  void exportsEachCountedEventOnceAndDropsDuplicatesAsTheProcessorDid() {
    append(
        0, view("a", "video:1"), view("a", "video:1"), view("b", "video:1"), view(null, "video:1"));
    append(1, view("a", "video:2"), view(null, "video:2"), view(null, "video:2"));
    clock.advance(61_000);
    countEverything();
    export().run();
    assertThat(count("true")).isEqualTo(6);
    assertThat(count("entity = 'video:1'")).isEqualTo(3);
    assertThat(count("id = 'a'")).isEqualTo(2);
    assertThat(store.exported(0).nextOffset()).isEqualTo(4);
    assertThat(store.asOfMillis(2)).isEqualTo(T0 + 60_000);
  }

  @Test
  void dropsExactlyTheRepeatsWhereverWritesAndLookAheadRunsCutTheRecords() {
    // 1,000 events, many repeated, over runs of the window's look-ahead (32) and writes of 7
    java.util.Random random = new java.util.Random(7);
    java.util.Set<String> distinct = new java.util.HashSet<>();
    for (int chunk = 0; chunk < 20; chunk++) {
      Event[] events = new Event[50];
      for (int i = 0; i < events.length; i++) {
        String entity = "video:" + random.nextInt(5);
        String id = random.nextInt(10) == 0 ? null : "e" + random.nextInt(300);
        events[i] = view(id, entity);
        distinct.add(id == null ? "no id " + chunk + "/" + i : entity + "/" + id);
      }
      append(0, events);
    }
    clock.advance(61_000);
    countEverything();
    new RawExport(log, counted, store, attributes, ProcessorConfig.DEFAULTS, 7).run();
    assertThat(count("true")).isEqualTo(distinct.size());
    assertThat(store.exported(0).nextOffset()).isEqualTo(1_000);
  }

  @Test
  void exportsPartitionsAtOnceEachExactlyAsTheProcessorCounted() {
    InMemoryEventLog eight = new InMemoryEventLog(8, clock);
    InMemoryCounterStore countedEight = new InMemoryCounterStore();
    java.util.Random random = new java.util.Random(11);
    java.util.Set<String> distinct = new java.util.HashSet<>();
    for (int chunk = 0; chunk < 40; chunk++) {
      EventBatch.Builder b = EventBatch.builder(8);
      for (int i = 0; i < 50; i++) {
        int p = random.nextInt(8);
        String entity = "video:" + p + "-" + random.nextInt(4);
        String id = "e" + random.nextInt(200);
        b.add(p, view(id, entity));
        distinct.add(entity + "/" + id);
      }
      eight.append(b.build()).join();
    }
    clock.advance(61_000);
    List<Checkpoint> all = new ArrayList<>();
    for (int p = 0; p < 8; p++) {
      all.add(new Checkpoint(p, eight.head(p).endOffset(), clock.millis(), clock.millis()));
    }
    countedEight.write(new DeltaBatch(List.of(), all));

    new RawExport(eight, countedEight, store, attributes, ProcessorConfig.DEFAULTS, 7, 3).run();
    RawSql.Answer a =
        new DuckDbRawSql(store, RawConfig.DEFAULTS, 8)
            .query("SELECT count(*), count(DISTINCT entity || '/' || id) FROM events");
    assertThat(a.rows().get(0)).containsExactly((long) distinct.size(), (long) distinct.size());
    for (int p = 0; p < 8; p++) {
      assertThat(store.exported(p).nextOffset()).isEqualTo(eight.head(p).endOffset());
    }
  }

  @Test
  void saysWhenAMinuteClosedSinceItsLatestRun() {
    RawExport export = export();
    assertThat(export.closedMinutesWaiting()).as("no run yet").isFalse();
    append(0, view("a", "video:1"));
    clock.advance(61_000);
    countEverything();
    export.run();
    assertThat(export.closedMinutesWaiting()).isFalse();
    append(0, view("b", "video:1"));
    clock.advance(30_000);
    countEverything();
    assertThat(export.closedMinutesWaiting()).as("b's minute is still open").isFalse();
    clock.advance(30_000);
    countEverything();
    assertThat(export.closedMinutesWaiting()).as("b's minute closed: the tier runs again").isTrue();
    export.run();
    assertThat(export.closedMinutesWaiting()).isFalse();
    assertThat(count("true")).isEqualTo(2);
  }

  @Test
  void exportsOnlyClosedMinutesAndOnlyWhatIsCounted() {
    append(0, view("a", "video:1"));
    clock.advance(60_000);
    append(0, view("b", "video:1")); // in the next minute, still open
    countEverything();
    clock.advance(1_000);
    append(0, view("c", "video:1")); // not counted yet
    RawExport export = export();
    export.run();
    assertThat(count("true")).isEqualTo(1);
    clock.advance(60_000);
    countEverything();
    export.run();
    assertThat(count("true")).isEqualTo(3);
    export.run();
    assertThat(count("true")).isEqualTo(3);
  }

  @Test
  void aDuplicateAcrossExportsAndRestartsIsStillDropped() {
    append(0, view("a", "video:1"));
    clock.advance(60_000);
    countEverything();
    export().run();
    append(0, view("a", "video:1"), view("b", "video:1"));
    clock.advance(60_000);
    countEverything();
    store.close();
    store = DuckDbRawStore.open(dir); // a restart: the window is rebuilt from the log
    export().run();
    assertThat(count("true")).isEqualTo(2);
  }

  @Test
  void saysLoudlyWhatTheLogDeletedBeforeItWasExported() {
    append(0, view("a", "video:1"), view("b", "video:1"), view("c", "video:1"));
    clock.advance(61_000);
    countEverything();
    log.deleteBefore(0, 2); // cluster mode: Kafka's retention ran ahead of the export
    assertThat(store.gaps()).isEmpty();
    export().run();
    assertThat(count("true")).isEqualTo(1);
    assertThat(store.gaps()).containsExactly(new RawGap(0, 0, 2, 0, T0));
    assertThat(RawGap.warning(store.gaps()))
        .contains("2 log records were deleted")
        .contains("partition 0 offsets 0 to 1");
  }

  @Test
  void theGapIsStillRecordedAfterTheStoreReopens() {
    append(0, view("a", "video:1"));
    clock.advance(60_000);
    countEverything();
    export().run();
    clock.advance(1_000);
    append(0, view("b", "video:1"), view("c", "video:1"), view("d", "video:1"));
    clock.advance(60_000);
    countEverything();
    log.deleteBefore(0, 3);
    export().run();
    store.close();
    store = DuckDbRawStore.open(dir); // a restart
    assertThat(store.gaps()).containsExactly(new RawGap(0, 1, 3, T0, T0 + 61_000));
    assertThat(RawGap.warning(store.gaps())).contains("partition 0 offsets 1 to 2");
    assertThat(count("true")).isEqualTo(2);
    store.claim(0);
    assertThat(store.expire(T0 + 61_000)).isEqualTo(1); // the file before the gap, not the gap
    assertThat(store.gaps()).hasSize(1);
    store.expire(T0 + 61_001); // raw.retention passed the gap's span
    assertThat(store.gaps()).isEmpty();
  }

  @Test
  void exportsOnlyThePartitionsItOwnsAndOnlyOnceTheirLastWriterReleasedThem() throws Exception {
    append(0, view("a", "video:1"));
    append(1, view("b", "video:2"));
    clock.advance(61_000);
    countEverything();
    Set<Integer> mine = new java.util.concurrent.CopyOnWriteArraySet<>(Set.of(0));
    try (DuckDbRawStore other = DuckDbRawStore.open(dir)) {
      assertThat(other.claim(1)).isTrue(); // another node still holds partition 1
      RawExport export =
          new RawExport(
              log,
              counted::checkpoint,
              () -> mine,
              store,
              attributes,
              ProcessorConfig.DEFAULTS,
              3,
              2);
      export.run();
      assertThat(count("true")).isEqualTo(1);
      mine.add(1); // partition 1 moved here, but its last writer has not let go
      export.run();
      assertThat(count("true")).isEqualTo(1);
      other.release(1);
      export.run();
      assertThat(count("true")).isEqualTo(2);
      mine.clear(); // both moved away: released, so another node can claim them
      export.run();
      assertThat(other.claim(0)).isTrue();
      assertThat(other.claim(1)).isTrue();
    }
  }

  @Test
  void aStoppedExportWritesNothingMore() {
    append(0, view("a", "video:1"));
    clock.advance(61_000);
    countEverything();
    RawExport export = export();
    export.stop();
    export.run();
    assertThat(store.manifest().positions()).isEmpty();
    export().run();
    assertThat(count("true")).isEqualTo(1);
  }

  @Test
  void storesTheEntityAttributesAndManyFilesForLargeRanges() {
    attributes.put("video:1", Map.of("channel", "c1"));
    for (int i = 0; i < 10; i++) {
      append(0, view("v" + i, "video:1"));
    }
    clock.advance(3_600_000); // a new hour
    append(0, view("w", "video:1"));
    clock.advance(60_000);
    countEverything();
    export().run();
    assertThat(count("attributes['channel'] = 'c1'")).isEqualTo(11);
    assertThat(store.manifest().files()).hasSize(5); // 3 events a write, and one per hour
    assertThat(store.manifest().files())
        .allSatisfy(f -> assertThat(dir.resolve(f.path())).exists());
  }

  @Test
  void looksUpAnEntitysAttributesOncePerWriteAndStoresTheCurrentOnes() {
    List<String> asked = new ArrayList<>();
    AttributeStore counting =
        entity -> {
          asked.add(entity);
          return attributes.attributes(entity);
        };
    attributes.put("video:1", Map.of("channel", "c1"));
    for (int i = 0; i < 4; i++) {
      append(0, view("v" + i, "video:1"), view("u" + i, "video:2"));
    }
    clock.advance(60_000);
    countEverything();
    new RawExport(log, counted, store, counting, ProcessorConfig.DEFAULTS, 3).run();
    // 8 events in writes of 3, 3 and 2: each write asks once per entity it holds
    assertThat(asked).hasSize(6).containsOnly("video:1", "video:2");
    assertThat(count("attributes['channel'] = 'c1'")).isEqualTo(4);

    attributes.put("video:1", Map.of("channel", "c2"));
    append(0, view("v9", "video:1"));
    clock.advance(60_000);
    countEverything();
    new RawExport(log, counted, store, counting, ProcessorConfig.DEFAULTS, 3).run();
    assertThat(count("attributes['channel'] = 'c2'")).isEqualTo(1); // a later write sees the change
  }

  @Test
  void saysWhenTheOldestCountedEventItHasNotExportedWasLogged() {
    FaultyRawStore faulty = new FaultyRawStore(store);
    RawExport export = new RawExport(log, counted, faulty, attributes, ProcessorConfig.DEFAULTS, 3);
    assertThat(export.oldestUnexportedMillis()).isEqualTo(Long.MAX_VALUE);
    append(0, view("a", "video:1"), view("b", "video:1"), view("c", "video:1"));
    clock.advance(10_000);
    append(0, view("d", "video:1"), view("e", "video:1"));
    clock.advance(60_000);
    countEverything();

    faulty.failing(true);
    assertThatThrownBy(export::run).isInstanceOf(TallyException.class);
    assertThat(count("true")).isZero();
    assertThat(export.oldestUnexportedMillis()).isEqualTo(T0);

    // the first write (a, b, c) is recorded, the second fails: d, logged 10 s later, is the oldest
    faulty.failAfterCommits(1);
    assertThatThrownBy(export::run).isInstanceOf(TallyException.class);
    assertThat(count("true")).isEqualTo(3);
    assertThat(export.oldestUnexportedMillis()).isEqualTo(T0 + 10_000);

    faulty.failing(false);
    export.run();
    assertThat(count("true")).isEqualTo(5);
    assertThat(export.oldestUnexportedMillis()).isEqualTo(Long.MAX_VALUE);
  }
}
