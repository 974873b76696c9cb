package io.tally.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.log.EventBatch;
import io.tally.core.log.LogRecord;
import io.tally.model.Event;
import io.tally.testkit.ManualClock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link LogTail} serves exactly what RocksDB does: every read of a live log (whose newest
 * batches the tail holds) equals the same read of the same data reopened (where nothing is held and
 * every read decodes the stored batches).
 */
class LogTailTest {
  private static final int PARTITIONS = 3;

  @TempDir Path dir;
  private final ManualClock clock = ManualClock.at("2026-01-31T12:00:00Z");

  @Test
  void readsOfTheLiveLogEqualReadsOfTheStoredBatches() throws Exception {
    for (long seed = 1; seed <= 4; seed++) {
      Path data = dir.resolve("data-" + seed);
      Random random = new Random(seed);
      RocksDbStorage storage = RocksDbStorage.open(data, PARTITIONS);
      // a small tail, so that reads start before it, inside it, and straddle what it dropped
      RocksDbEventLog live = new RocksDbEventLog(storage, clock, FsyncPolicy.ALWAYS, 200, 1_000);
      int appended = 0;
      for (int request = 0; request < 120; request++) {
        EventBatch.Builder b = EventBatch.builder(PARTITIONS);
        int n = 1 + random.nextInt(random.nextInt(10) == 0 ? 300 : 12);
        for (int i = 0; i < n; i++) {
          b.add(random.nextInt(PARTITIONS), event(random, appended++));
        }
        live.append(b.build()).get(10, TimeUnit.SECONDS);
        clock.advance(random.nextInt(300)); // batches age out of the tail too
      }
      if (seed % 2 == 0) {
        live.deleteBefore(1, live.head(1).endOffset() / 3);
      }
      List<List<LogRecord>> fromLive = reads(live, new Random(seed * 31));
      live.close();
      storage.close();

      RocksDbStorage reopened = RocksDbStorage.open(data, PARTITIONS);
      RocksDbEventLog stored = new RocksDbEventLog(reopened, clock, FsyncPolicy.ALWAYS, 0, 0);
      try {
        assertThat(reads(stored, new Random(seed * 31))).isEqualTo(fromLive);
      } finally {
        stored.close();
        reopened.close();
      }
    }
  }

  @Test
  void holdsTheNewestBatchesWithinItsBounds() {
    LogTail tail = new LogTail(1, 10, 1_000);
    tail.add(0, 0, 0, events(4));
    tail.add(0, 4, 10, events(4));
    List<LogRecord> out = new ArrayList<>();
    assertThat(tail.read(0, 2, 8, 100, out)).isTrue();
    assertThat(out).extracting(LogRecord::offset).containsExactly(2L, 3L, 4L, 5L, 6L, 7L);
    assertThat(out.get(4).appendTimeMillis()).isEqualTo(10);

    tail.add(0, 8, 20, events(4)); // 12 events: the oldest batch goes
    assertThat(tail.read(0, 3, 12, 100, new ArrayList<>())).isFalse();
    out.clear();
    assertThat(tail.read(0, 4, 12, 100, out)).isTrue();
    assertThat(out).hasSize(8);

    out.clear(); // a read stops at the end the caller saw, and after the batch that reached max
    assertThat(tail.read(0, 4, 8, 100, out)).isTrue();
    assertThat(out).extracting(LogRecord::offset).containsExactly(4L, 5L, 6L, 7L);
    out.clear();
    assertThat(tail.read(0, 5, 12, 2, out)).isTrue();
    assertThat(out).extracting(LogRecord::offset).containsExactly(5L, 6L, 7L);

    tail.add(0, 12, 2_000, events(1)); // older than a second now: both earlier batches go
    assertThat(tail.read(0, 11, 13, 100, new ArrayList<>())).isFalse();
    assertThat(tail.read(0, 12, 13, 100, new ArrayList<>())).isTrue();

    tail.trimBefore(0, 13);
    assertThat(tail.read(0, 12, 13, 100, new ArrayList<>())).isFalse();

    tail.add(0, 13, 2_000, events(2));
    tail.add(0, 20, 2_000, events(2)); // not where the last batch ended: nothing older is served
    assertThat(tail.read(0, 20, 22, 100, new ArrayList<>())).isTrue();
    assertThat(tail.read(0, 13, 22, 100, new ArrayList<>())).isFalse();
  }

  /** Reads at random offsets (some past the end, some before the start) with random limits. */
  private static List<List<LogRecord>> reads(RocksDbEventLog log, Random random) {
    List<List<LogRecord>> all = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      long end = log.head(p).endOffset();
      for (int k = 0; k < 60; k++) {
        long from = random.nextInt((int) end + 5);
        all.add(log.read(p, from, 1 + random.nextInt(k % 3 == 0 ? 1_000 : 20)));
      }
      all.add(log.read(p, 0, Integer.MAX_VALUE));
    }
    return all;
  }

  private static Event event(Random random, int n) {
    String actor = random.nextBoolean() ? "user-" + random.nextInt(50) : null;
    String id = random.nextInt(8) == 0 ? null : "id-" + n;
    return new Event(
        id,
        "video:" + random.nextInt(40),
        random.nextBoolean() ? "view" : "like",
        1_769_860_800_000L + random.nextInt(10_000),
        random.nextInt(5),
        actor);
  }

  private static List<Event> events(int n) {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      events.add(Event.of("e" + i, "t", 0));
    }
    return events;
  }
}
