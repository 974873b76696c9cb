package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.log.EventBatch;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.raw.RawConfig;
import io.tally.core.raw.RawExport;
import io.tally.core.store.Checkpoint;
import io.tally.model.Event;
import io.tally.raw.DuckDbRawStore;
import io.tally.testkit.FaultyRawStore;
import io.tally.testkit.InMemoryAttributeStore;
import io.tally.testkit.InMemoryCounterStore;
import io.tally.testkit.InMemoryEventLog;
import io.tally.testkit.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An export that falls behind counting (ingest outrunning it, or writes failing) is a /healthz
 * warning and {@code tally_raw_export_lag_seconds}: the log keeps what it has not exported, so an
 * embedded data dir grows until it catches up.
 */
class RawTierExportLagTest {
  private static final long T0 = 1_764_900_000_000L; // 2025-12-05T02:00:00Z

  @TempDir Path dir;

  @Test
  void warnsWhileTheExportLagsAndNoLongerOnceItCaughtUp() {
    ManualClock clock = new ManualClock(T0);
    InMemoryEventLog log = new InMemoryEventLog(2, clock);
    EventBatch.Builder b = EventBatch.builder(2);
    b.add(0, new Event("a", "video:1", "view", T0, 1));
    log.append(b.build()).join();
    clock.advance(Duration.ofMinutes(10).toMillis());
    InMemoryCounterStore counted = new InMemoryCounterStore();
    counted.write(new DeltaBatch(List.of(), List.of(new Checkpoint(0, 1, T0, clock.millis()))));

    DuckDbRawStore store = DuckDbRawStore.open(dir);
    FaultyRawStore faulty = new FaultyRawStore(store);
    faulty.failing(true); // a full disk, say
    RawExport export =
        new RawExport(
            log, counted, faulty, new InMemoryAttributeStore(), ProcessorConfig.DEFAULTS, 100);
    RawConfig everySecond =
        new RawConfig(true, dir, 30L * 86_400_000, 1_000, 1, 10_000, 10_000, 256L << 20);
    try (RawTier raw = RawTier.start(everySecond, store, export, 2, clock, 50)) {
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                assertThat(raw.exportLagMillis()).isEqualTo(Duration.ofMinutes(10).toMillis());
                assertThat(raw.lagWarning())
                    .startsWith("the raw export is 10 min behind")
                    .contains("logged at 2025-12-05T02:00:00Z")
                    .contains("the data dir (embedded) grows until it catches up");
              });
      assertThat(raw.warning()).as("no record is lost, only late").isNull();

      faulty.failing(false);
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                assertThat(raw.exportLagMillis()).isZero();
                assertThat(raw.lagWarning()).isNull();
              });
      assertThat(store.exported(0).nextOffset()).isEqualTo(1);
    }
  }

  @Test
  void aLagWithinWhatTheIntervalLeavesIsNoWarning() {
    assertThat(RawTier.lagWarningMillis(60_000)).isEqualTo(Duration.ofMinutes(5).toMillis());
    assertThat(RawTier.lagWarningMillis(600_000)).isEqualTo(Duration.ofMinutes(30).toMillis());
  }
}
