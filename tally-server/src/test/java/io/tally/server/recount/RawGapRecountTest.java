package io.tally.server.recount;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.process.ProcessorConfig;
import io.tally.core.raw.RawConfig;
import io.tally.core.raw.RawGap;
import io.tally.core.recount.Auditor;
import io.tally.core.recount.Recount;
import io.tally.core.recount.RecountRange;
import io.tally.core.recount.RecountRefusedException;
import io.tally.core.retention.Retention;
import io.tally.model.Event;
import io.tally.raw.DuckDbRawReader;
import io.tally.raw.DuckDbRawStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log deletes counted records before the export reached them (cluster: Kafka's retention): the
 * raw store records the gap durably, and recounts and audits whose range may hold its events are
 * refused with the gap named, rather than rebuilt without them.
 */
class RawGapRecountTest {
  private static final long T0 = 1_764_900_000_000L; // 2025-12-05T02:00Z, an hour start
  private static final long HOUR = 3_600_000L;
  private static final long MINUTE = 60_000L;

  @TempDir Path dir;
  private RecountFixture f;
  private final List<RawGap> lost = new ArrayList<>();

  @AfterEach
  void close() {
    f.close();
  }

  /** Five views of each of three videos at the clock's time, counted. */
  private void viewsCounted() {
    for (int v = 1; v <= 3; v++) {
      for (int i = 0; i < 5; i++) {
        long t = f.clock.millis();
        f.append(new Event("e" + t + "-" + v + "-" + i, "video:" + v, "view", t, 1));
      }
    }
    f.count();
  }

  /**
   * Views at T0 (exported), T0+30m (counted, then deleted from the log before export), T0+1h10m and
   * T0+2h10m; exported up to T0+2h.
   */
  @BeforeEach
  void logLosesCountedRecordsBeforeExport() {
    f = new RecountFixture(dir, T0, List.of());
    viewsCounted();
    f.clock.set(T0 + 2 * MINUTE);
    f.count();
    f.export.run();
    f.clock.set(T0 + 30 * MINUTE);
    viewsCounted();
    long[] exported = new long[RecountFixture.PARTITIONS];
    long[] deleteBefore = new long[RecountFixture.PARTITIONS];
    for (int p = 0; p < RecountFixture.PARTITIONS; p++) {
      exported[p] = f.raw.exported(p).nextOffset();
      deleteBefore[p] = f.log.head(p).endOffset();
    }
    f.clock.set(T0 + HOUR + 10 * MINUTE);
    viewsCounted();
    for (int p = 0; p < RecountFixture.PARTITIONS; p++) {
      f.log.deleteBefore(p, deleteBefore[p]);
      if (deleteBefore[p] > exported[p]) {
        lost.add(new RawGap(p, exported[p], deleteBefore[p], T0, T0 + HOUR + 10 * MINUTE));
      }
    }
    f.clock.set(T0 + 2 * HOUR + 10 * MINUTE);
    viewsCounted();
    f.clock.set(T0 + 2 * HOUR + 12 * MINUTE);
    f.count();
    f.export.run();
  }

  /** A recount over a store opened anew: what it knows of gaps it read from disk. */
  private Recount reopened(DuckDbRawStore store) {
    return new Recount(
        new DuckDbRawReader(store),
        f.counters,
        f.log,
        f.enrichment,
        ProcessorConfig.DEFAULTS,
        new Recount.Limits(Retention.DEFAULTS, RawConfig.DEFAULTS.retentionMillis(), 300_000),
        f.clock);
  }

  @Test
  void theGapIsRecordedAndSurvivesReopeningTheStore() {
    assertThat(lost).isNotEmpty();
    try (DuckDbRawStore store = DuckDbRawStore.open(dir.resolve("raw"))) {
      assertThat(store.gaps()).containsExactlyInAnyOrderElementsOf(lost);
      assertThat(RawGap.warning(store.gaps()))
          .contains(lost.stream().mapToLong(RawGap::records).sum() + " log records were deleted");
    }
  }

  @Test
  void aRecountOverTheGapIsRefusedWithTheGapNamed() {
    RawGap first = lost.get(0);
    try (DuckDbRawStore store = DuckDbRawStore.open(dir.resolve("raw"))) {
      Recount recount = reopened(store);
      for (RecountRange range : List.of(RecountRange.hour(T0), RecountRange.hour(T0 + HOUR))) {
        assertThatThrownBy(() -> recount.run(range, true))
            .isInstanceOfSatisfying(
                RecountRefusedException.class,
                e -> assertThat(e.reason()).isEqualTo(RecountRefusedException.Reason.RAW_GAP))
            .hasMessageContaining(
                "the raw store lacks partition "
                    + first.partition()
                    + " offsets "
                    + first.fromOffset()
                    + " to "
                    + (first.toOffset() - 1))
            .hasMessageContaining("between 2025-12-05T02:00:00Z and 2025-12-05T03:15:00Z");
      }
    }
  }

  @Test
  void aRangeAfterTheGapsEventsIsStillRecounted() {
    f.clock.set(T0 + 3 * HOUR + 2 * MINUTE);
    f.count();
    f.export.run();
    assertThat(f.recount.run(RecountRange.hour(T0 + 2 * HOUR), false).mismatched()).isZero();
  }

  @Test
  void theAuditReportsTheGapInsteadOfMismatchedRows() {
    Auditor auditor = new Auditor(f.recount);
    assertThat(auditor.doWork()).isEqualTo(1); // the last closed hour, T0+1h, holds gap events
    assertThat(auditor.mismatchedRows()).isZero();
    assertThat(auditor.latest()).isNull();
    assertThatThrownBy(() -> auditor.audit(RecountRange.hour(T0 + HOUR)))
        .isInstanceOf(RecountRefusedException.class)
        .hasMessageContaining("the raw store lacks partition");
  }

  /**
   * A Top-K slot is recounted whole, so its span reaches outside the range: a 2-hour slot of the
   * 24h window (02:00–04:00) holds a gap's events (02:00–02:40) that the recounted hour
   * (03:00–04:00) does not. The recount goes on, and leaves that slot as it is (skipped) rather
   * than correcting it to what the raw store holds without the lost events.
   */
  @Test
  void aTopKSlotWhoseSpanHoldsAGapIsSkippedNotCorrected() {
    f.close();
    f = new RecountFixture(dir.resolve("second"), T0, List.of());
    viewsCounted(); // 02:00, exported
    f.clock.set(T0 + 2 * MINUTE);
    f.count();
    f.export.run();
    f.clock.set(T0 + 20 * MINUTE);
    viewsCounted(); // 02:20, counted, then deleted from the log before export
    long[] deleteBefore = new long[RecountFixture.PARTITIONS];
    for (int p = 0; p < RecountFixture.PARTITIONS; p++) {
      deleteBefore[p] = f.log.head(p).endOffset();
    }
    f.clock.set(T0 + 40 * MINUTE);
    viewsCounted(); // 02:40, the first records after the gap
    f.clock.set(T0 + HOUR + 10 * MINUTE);
    viewsCounted(); // 03:10
    for (int p = 0; p < RecountFixture.PARTITIONS; p++) {
      f.log.deleteBefore(p, deleteBefore[p]);
    }
    f.clock.set(T0 + 2 * HOUR + 2 * MINUTE);
    f.count();
    f.export.run();

    var report = f.recount.run(RecountRange.hour(T0 + HOUR), true);

    assertThat(f.raw.gaps()).isNotEmpty();
    assertThat(report.mismatched()).isZero();
    assertThat(report.topKSlotsChanged()).isZero();
    assertThat(report.topKSlotsSkipped()).isPositive();
  }
}
