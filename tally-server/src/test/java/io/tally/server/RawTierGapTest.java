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
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The raw tier's /healthz warning and {@code tally_raw_lost_records} come from the gaps recorded in
 * the raw store, so a server started after the export lost records still shows them.
 */
class RawTierGapTest {
  private static final long T0 = 1_764_900_000_000L;

  @TempDir Path dir;

  @Test
  void aGapRecordedBeforeARestartIsStillWarnedAboutAndCounted() {
    RawGap gap = new RawGap(1, 3, 10, T0, T0 + 60_000);
    try (DuckDbRawStore before = DuckDbRawStore.open(dir)) {
      before.write(1, List.of(), new Checkpoint(1, 10, T0 + 60_000, T0 + 120_000), List.of(gap));
    }
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
}
