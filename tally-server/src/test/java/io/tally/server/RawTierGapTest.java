package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.process.ProcessorConfig;
import io.tally.core.raw.RawConfig;
import io.tally.core.raw.RawGap;
import io.tally.core.store.Checkpoint;
import io.tally.raw.DuckDbRawStore;
import io.tally.testkit.InMemoryAttributeStore;
import io.tally.testkit.InMemoryCounterStore;
import io.tally.testkit.InMemoryEventLog;
import io.tally.testkit.ManualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The raw tier's /healthz warning and {@code tally_raw_lost_records} come from the gaps recorded in
 * the raw store, so a server started after the export lost records still shows them; they are read
 * on the tier's thread, so /healthz (on an event loop) reads memory, and a gap another process
 * records is seen at the next read.
 */
class RawTierGapTest {
  private static final long T0 = 1_764_900_000_000L;

  @TempDir Path dir;

  /** A gap (offsets 3 to 9 of partition 1) recorded by an earlier process's export. */
  private void recordGapOfSevenRecordsInPartition1() {
    RawGap gap = new RawGap(1, 3, 10, T0, T0 + 60_000);
    try (DuckDbRawStore before = DuckDbRawStore.open(dir)) {
      before.write(1, List.of(), new Checkpoint(1, 10, T0 + 60_000, T0 + 120_000), List.of(gap));
    }
  }

  @Test
  void aGapRecordedBeforeARestartIsStillWarnedAboutAndCounted() {
    recordGapOfSevenRecordsInPartition1();
    ManualClock clock = new ManualClock(T0 + 180_000);
    try (RawTier raw =
        RawTier.start(
            RawConfig.DEFAULTS.withDir(dir),
            new InMemoryEventLog(2, clock),
            new InMemoryCounterStore(),
            new InMemoryAttributeStore(),
            ProcessorConfig.DEFAULTS,
            clock)) {
      assertThat(raw.warning())
          .contains("7 log records were deleted")
          .contains("partition 1 offsets 3 to 9");
      assertThat(raw.lostRecords()).isEqualTo(7);
    }
  }

  @Test
  void noGapNoWarning() {
    ManualClock clock = new ManualClock(T0);
    try (RawTier raw =
        RawTier.start(
            RawConfig.DEFAULTS.withDir(dir),
            new InMemoryEventLog(2, clock),
            new InMemoryCounterStore(),
            new InMemoryAttributeStore(),
            ProcessorConfig.DEFAULTS,
            clock)) {
      assertThat(raw.warning()).isNull();
      assertThat(raw.lostRecords()).isZero();
    }
  }

  @Test
  void theWarningIsReadFromMemoryNotFromTheManifestsOnEachCall() throws Exception {
    recordGapOfSevenRecordsInPartition1();
    ManualClock clock = new ManualClock(T0 + 180_000);
    try (RawTier raw =
        RawTier.start(
            RawConfig.DEFAULTS.withDir(dir),
            DuckDbRawStore.open(dir),
            null,
            2,
            clock,
            Duration.ofHours(1).toMillis())) {
      // a manifest gone from the disk is not seen until the next read: the calls read no file
      Files.delete(dir.resolve("partitions").resolve("p1.manifest"));
      for (int i = 0; i < 3; i++) {
        assertThat(raw.warning()).contains("7 log records were deleted");
        assertThat(raw.lostRecords()).isEqualTo(7);
      }
    }
  }

  @Test
  void aGapRecordedAfterTheStartIsWarnedAboutAtTheNextRead() {
    ManualClock clock = new ManualClock(T0 + 180_000);
    DuckDbRawStore store = DuckDbRawStore.open(dir);
    try (RawTier raw = RawTier.start(RawConfig.DEFAULTS.withDir(dir), store, null, 2, clock, 50)) {
      assertThat(raw.warning()).isNull();
      RawGap gap = new RawGap(0, 5, 9, T0, T0 + 60_000);
      store.write(0, List.of(), new Checkpoint(0, 9, T0 + 60_000, T0 + 120_000), List.of(gap));
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                assertThat(raw.warning()).contains("4 log records were deleted");
                assertThat(raw.lostRecords()).isEqualTo(4);
              });
    }
  }
}
