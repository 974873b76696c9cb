package io.tally.server.recount;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.recount.Auditor;
import io.tally.core.recount.CounterRows;
import io.tally.core.recount.RecountRange;
import io.tally.core.recount.RecountRefusedException;
import io.tally.core.recount.RecountReport;
import io.tally.core.topk.SlotCorrection;
import io.tally.core.topk.SlotKey;
import io.tally.core.topk.SlotSketches;
import io.tally.core.topk.TopKWindow;
import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.model.TallyException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recount and audit over a real raw store (DuckDB) and counter store (RocksDB): a damaged row is
 * reported by name and repaired, a new derivation is backfilled, a replacement keeps what was
 * counted after its snapshot, and ranges that cannot be recounted are refused.
 */
class RecountTest {
  private static final long T0 = 1_764_900_000_000L; // 2025-12-05T02:00Z, an hour start
  private static final long HOUR = 3_600_000L;
  private static final RecountRange RANGE = new RecountRange(T0, T0 + 2 * HOUR, "", Set.of());

  @TempDir Path dir;
  private RecountFixture f;

  @AfterEach
  void close() {
    if (f != null) {
      f.close();
    }
  }

  /** Two hours of views on three videos (5 each per 20 minutes), counted and exported. */
  private void countedAndExported(List<String> derive) {
    f = new RecountFixture(dir, T0, derive);
    for (long t = T0; t < T0 + 2 * HOUR; t += 20 * 60_000) {
      f.clock.set(t);
      for (int v = 1; v <= 3; v++) {
        for (int i = 0; i < 5; i++) {
          f.append(new Event("e" + t + "-" + v + "-" + i, "video:" + v, "view", t, 1 + i));
        }
      }
      f.count();
    }
    f.clock.set(T0 + 2 * HOUR + 120_000);
    f.count();
    f.export.run();
  }

  private static CounterKey minute(String entity, long start) {
    return new CounterKey(entity, "view", Granularity.MINUTE, start);
  }

  private CounterRows.Row read(CounterKey key) {
    try (CounterRows.Snapshot s = f.counters.snapshot()) {
      return s.read(key);
    }
  }

  private void damage(CounterKey key, long count, long sum) {
    try (CounterRows.Snapshot s = f.counters.snapshot()) {
      s.replace(List.of(new CounterRows.Row(key, count, sum)));
    }
  }

  @Test
  void aCleanRangeAuditsWithNoMismatch() {
    countedAndExported(List.of());
    RecountReport audit = f.recount.run(RANGE, false);
    assertThat(audit.mismatched()).isZero();
    // 3 videos x (6 minutes + 2 hours); no whole day in the range
    assertThat(audit.unchanged()).isEqualTo(3 * 8);
    assertThat(audit.granularities()).containsExactly(Granularity.MINUTE, Granularity.HOUR);
    assertThat(audit.eventsRead()).isEqualTo(90);
  }

  @Test
  void theAuditNamesExactlyTheDamagedRowAndTheRecountRepairsIt() {
    countedAndExported(List.of());
    CounterKey damaged = minute("video:2", T0 + 40 * 60_000);
    CounterRows.Row total = read(CounterKey.total("video:2", "view"));
    damage(damaged, 9, 99);

    RecountReport audit = f.recount.run(RANGE, false);
    assertThat(audit.mismatched()).isEqualTo(1);
    assertThat(audit.changed()).isEqualTo(1);
    assertThat(audit.differences())
        .containsExactly(new RecountReport.Difference(damaged, 9, 99, 5, 15));
    assertThat(read(damaged).count()).isEqualTo(9); // an audit changes nothing

    RecountReport recount = f.recount.run(RANGE, true);
    assertThat(recount.changed()).isEqualTo(1);
    assertThat(recount.totalsAdjusted()).isZero(); // one damaged row is not a miscounted event
    assertThat(read(damaged)).isEqualTo(new CounterRows.Row(damaged, 5, 15));
    assertThat(read(CounterKey.total("video:2", "view"))).isEqualTo(total);
    assertThat(f.recount.run(RANGE, false).mismatched()).isZero();
  }

  @Test
  void aRecountOfAnEntityPrefixAndTypesTouchesOnlyTheirRows() {
    countedAndExported(List.of());
    CounterKey one = minute("video:1", T0);
    CounterKey two = minute("video:2", T0);
    damage(one, 1, 1);
    damage(two, 1, 1);

    assertThat(
            f.recount
                .run(new RecountRange(T0, T0 + 2 * HOUR, "video:1", Set.of("like")), true)
                .mismatched())
        .isZero();
    RecountReport recount =
        f.recount.run(new RecountRange(T0, T0 + 2 * HOUR, "video:1", Set.of("view")), true);

    assertThat(recount.differences())
        .extracting(RecountReport.Difference::key)
        .containsExactly(one);
    assertThat(read(one).count()).isEqualTo(5);
    assertThat(read(two).count()).isEqualTo(1);
  }

  @Test
  void theAuditorAuditsEachClosedHourAndWarnsUntilARecountRepairs() {
    countedAndExported(List.of());
    Auditor auditor = new Auditor(f.recount);
    damage(minute("video:3", T0 + HOUR), 2, 2);

    assertThat(auditor.doWork()).isEqualTo(1); // the last closed hour: T0 + 1h
    assertThat(auditor.latest().range()).isEqualTo(RecountRange.hour(T0 + HOUR));
    assertThat(auditor.mismatchedRows()).isEqualTo(1);
    assertThat(auditor.warning())
        .contains("video:3 view minute 2025-12-05T03:00:00Z: served 2/2, recounted 5/15")
        .contains("tally recount --from 2025-12-05T03:00:00Z --to 2025-12-05T04:00:00Z");
    assertThat(auditor.doWork()).isZero(); // no other hour closed yet

    auditor.recounted(f.recount.run(RecountRange.hour(T0 + HOUR), true));
    assertThat(auditor.mismatchedRows()).isZero();
    assertThat(auditor.warning()).isNull();
  }

  @Test
  void aRowServedWithoutEventsIsRemoved() {
    countedAndExported(List.of());
    CounterKey extra = minute("video:9", T0 + 5 * 60_000);
    damage(extra, 4, 4);
    RecountReport recount = f.recount.run(RANGE, true);
    assertThat(recount.removed()).isEqualTo(1);
    assertThat(read(extra).count()).isZero();
    assertThat(f.counters.range("video:9", "view", Granularity.MINUTE, T0, T0 + HOUR)).isEmpty();
  }

  @Test
  void aRecountBackfillsANewDerivationWithTheAttributesKnownNow() {
    countedAndExported(List.of("channel")); // counted before video:1 and 2 had a channel
    f.attributes.put("video:1", Map.of("channel", "c1"));
    f.attributes.put("video:2", Map.of("channel", "c1"));

    RecountReport recount = f.recount.run(RANGE, true);

    assertThat(recount.added()).isPositive();
    assertThat(recount.changed() + recount.removed()).isZero();
    long count = 0;
    long sum = 0;
    for (int p = 0; p < RecountFixture.PARTITIONS; p++) {
      CounterRows.Row t = read(CounterKey.total("channel:c1~" + p, "view"));
      count += t.count();
      sum += t.sum();
      for (long m = T0; m < T0 + 2 * HOUR; m += 20 * 60_000) {
        assertThat(read(minute("channel:c1~" + p, m)).count())
            .isEqualTo(
                read(minute("video:1", m)).count() * (p == partitionOf("video:1") ? 1 : 0)
                    + read(minute("video:2", m)).count() * (p == partitionOf("video:2") ? 1 : 0));
      }
    }
    assertThat(count).isEqualTo(2 * 6 * 5); // video:1 and 2, 6 rounds of 5 views
    assertThat(sum).isEqualTo(2 * 6 * 15);
    // the derived entity ranks too, as itself, in every window the range's slots are still in
    assertThat(recount.topKSlotsChanged()).isPositive();
    assertThat(f.topK("view", "24h")).containsEntry("channel:c1", 60L);
    assertThat(f.topK("view", "1h")).containsEntry("channel:c1", 2 * 3 * 5L); // 03:00, :20, :40
    RecountReport again = f.recount.run(RANGE, true);
    assertThat(again.mismatched()).isZero();
    assertThat(again.topKSlotsChanged()).isZero();
  }

  private static int partitionOf(String entity) {
    return new io.tally.core.partition.Partitioner(RecountFixture.PARTITIONS).partition(entity);
  }

  @Test
  void aReplacementKeepsWhatWasCountedAfterItsSnapshot() {
    countedAndExported(List.of());
    CounterKey row = minute("video:1", T0);
    try (CounterRows.Snapshot s = f.counters.snapshot()) {
      f.append(new Event("late", "video:1", "view", T0, 7)); // counted after the snapshot
      f.count();
      s.replace(List.of(new CounterRows.Row(row, 1, 2)));
    }
    assertThat(read(row)).isEqualTo(new CounterRows.Row(row, 2, 9));
  }

  /** The 24h window's slot of partition {@code p} that holds T0 (2 h slots: 02:00–04:00Z). */
  private static SlotKey daySlot() {
    TopKWindow w = TopKWindow.parse("24h");
    return new SlotKey("view", w, w.slotStart(T0));
  }

  private void damageSlot(String entity, long by) {
    try (CounterRows.Snapshot s = f.counters.snapshot()) {
      s.replace(
          partitionOf(entity),
          List.of(),
          List.of(new SlotCorrection(daySlot(), Map.of(entity, by))));
    }
  }

  @Test
  void aDamagedTopKSlotIsReportedAndTheRecountCorrectsIt() {
    countedAndExported(List.of());
    Map<String, Long> day = f.topK("view", "24h");
    Map<String, Long> hour = f.topK("view", "1h");
    assertThat(day).containsEntry("video:1", 30L).containsEntry("video:2", 30L);
    damageSlot("video:2", -7);
    damageSlot("video:9", 4); // an entity with no events at all
    assertThat(f.topK("view", "24h")).containsEntry("video:2", 23L).containsEntry("video:9", 4L);

    RecountReport audit = f.recount.run(RANGE, false);
    assertThat(audit.mismatched()).isZero(); // the rows are right
    assertThat(audit.topKSlotsChanged())
        .isEqualTo(partitionOf("video:2") == partitionOf("video:9") ? 1 : 2);
    assertThat(f.topK("view", "24h")).containsEntry("video:2", 23L); // an audit changes nothing

    RecountReport recount = f.recount.run(RANGE, true);
    assertThat(recount.topKSlotsChanged()).isEqualTo(audit.topKSlotsChanged());
    assertThat(f.topK("view", "24h")).isEqualTo(day);
    assertThat(f.topK("view", "1h")).isEqualTo(hour);
    assertThat(f.recount.run(RANGE, false).topKSlotsChanged()).isZero();
  }

  @Test
  void aTopKCorrectionKeepsWhatWasCountedAfterItsSnapshot() {
    countedAndExported(List.of());
    try (CounterRows.Snapshot s = f.counters.snapshot()) {
      f.append(new Event("late", "video:1", "view", T0, 7)); // counted after the snapshot
      f.count();
      s.replace(
          partitionOf("video:1"),
          List.of(),
          List.of(new SlotCorrection(daySlot(), Map.of("video:1", -4L))));
    }
    assertThat(f.topK("view", "24h")).containsEntry("video:1", 30L - 4 + 1);
  }

  @Test
  void aRecountRebuildsEveryTopKSlotTheStoreLost() {
    countedAndExported(List.of());
    Map<String, Long> day = f.topK("view", "24h");
    Map<String, Long> hour = f.topK("view", "1h");
    // every entity taken out of every slot, through the store
    try (CounterRows.Snapshot s = f.counters.snapshot()) {
      for (int p = 0; p < RecountFixture.PARTITIONS; p++) {
        int partition = p;
        s.topKSlots(p)
            .slots()
            .forEach(
                (k, sketch) ->
                    s.replace(
                        partition,
                        List.of(),
                        List.of(
                            new SlotCorrection(
                                k,
                                SlotSketches.counts(sketch).entrySet().stream()
                                    .collect(
                                        java.util.stream.Collectors.toMap(
                                            Map.Entry::getKey, e -> -e.getValue()))))));
      }
    }
    assertThat(f.topK("view", "24h")).isEmpty();
    assertThat(f.topK("view", "1h")).isEmpty();

    RecountReport recount = f.recount.run(RANGE, true);

    assertThat(recount.mismatched()).isZero();
    assertThat(recount.topKSlotsChanged()).isPositive();
    assertThat(f.topK("view", "24h")).isEqualTo(day);
    assertThat(f.topK("view", "1h")).isEqualTo(hour).isNotEmpty();
  }

  @Test
  void aStoppedRecountEndsAtItsNextLogReadSoTheLogCanClose() {
    // the defect: SIGTERM during a background audit closed RocksDB under the audit's read of the
    // log, and the JVM died of a SIGSEGV. Now stopping the auditor ends its recount at the next log
    // read, and the server leaves RocksDB open if it does not end in time
    countedAndExported(List.of());
    f.clock.set(T0 + 2 * HOUR + 180_000);
    f.append(new Event("late", "video:1", "view", T0 + 2 * HOUR + 150_000, 1));
    f.count(); // counted, not yet exported: a recount reads it from the log
    assertThat(f.recount.run(RANGE, false).mismatched()).isZero();

    Auditor auditor = new Auditor(f.recount);
    auditor.onStopRequested(); // what the server's shutdown does
    assertThatThrownBy(() -> f.recount.run(RANGE, false))
        .isInstanceOf(TallyException.class)
        .hasMessageContaining("recount stopped: the server is shutting down");
    assertThat(auditor.doWork()).as("a stopped audit ends quietly, not as a failure").isZero();
    assertThat(auditor.latest()).isNull();
  }

  @Test
  void refusesRangesItCannotRecount() {
    countedAndExported(List.of());
    assertThatThrownBy(
            () -> f.recount.run(new RecountRange(T0, T0 + 3 * HOUR, "", Set.of()), false))
        .isInstanceOfSatisfying(
            RecountRefusedException.class,
            e -> assertThat(e.reason()).isEqualTo(RecountRefusedException.Reason.NOT_EXPORTED))
        .hasMessageContaining("the raw store holds the events logged before 2025-12-05T04:02:00Z");
    f.clock.advance(31L * 24 * HOUR);
    assertThatThrownBy(() -> f.recount.run(RANGE, false))
        .isInstanceOfSatisfying(
            RecountRefusedException.class,
            e -> assertThat(e.reason()).isEqualTo(RecountRefusedException.Reason.PAST_RETENTION))
        .hasMessageContaining("keeps events for 30d");
    assertThatThrownBy(() -> new RecountRange(T0 + 60_000, T0 + HOUR, "", Set.of()))
        .hasMessageContaining("whole hours");
  }
}
