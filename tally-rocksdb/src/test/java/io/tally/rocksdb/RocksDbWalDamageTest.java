package io.tally.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.log.EventBatch;
import io.tally.model.Event;
import io.tally.model.TallyException;
import io.tally.testkit.ManualClock;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20 item 1: a damaged or missing write-ahead log must stop the data dir from opening, with a
 * message saying what is wrong and what to do, instead of opening with acknowledged events missing;
 * {@code salvageWal} opens what survives and says what was lost.
 */
class RocksDbWalDamageTest {
  private static final int PARTITIONS = 4;
  private static final int BATCHES = 40;
  private static final int EVENTS_PER_BATCH = 250;
  private static final int EVENTS = BATCHES * EVENTS_PER_BATCH;

  @TempDir Path tmp;
  private final ManualClock clock = ManualClock.at("2026-01-31T12:00:00Z");

  private Path ingestAndStop() throws Exception {
    Path dir = tmp.resolve("data");
    RocksDbStorage storage = RocksDbStorage.open(dir, PARTITIONS);
    RocksDbEventLog log = new RocksDbEventLog(storage, clock, FsyncPolicy.ALWAYS);
    for (int b = 0; b < BATCHES; b++) {
      EventBatch.Builder batch = EventBatch.builder(PARTITIONS);
      for (int i = 0; i < EVENTS_PER_BATCH; i++) {
        batch.add(i % PARTITIONS, new Event("e" + b + "-" + i, "video:" + i, "view", 0L, 1));
      }
      log.append(batch.build()).get(10, TimeUnit.SECONDS);
    }
    log.close();
    storage.close();
    return dir;
  }

  private static long eventsIn(Path dir, boolean salvage) {
    RocksDbStorage storage = RocksDbStorage.open(dir, PARTITIONS, salvage);
    try (RocksDbEventLog log =
        new RocksDbEventLog(storage, ManualClock.at("2026-02-01T00:00:00Z"), FsyncPolicy.ALWAYS)) {
      long n = 0;
      for (int p = 0; p < PARTITIONS; p++) {
        n += log.head(p).endOffset() - log.startOffset(p);
      }
      return n;
    } finally {
      storage.close();
    }
  }

  private static List<Path> walFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir.resolve("wal"))) {
      return files.filter(f -> f.getFileName().toString().endsWith(".log")).toList();
    }
  }

  private static Path largestWal(Path dir) throws IOException {
    return walFiles(dir).stream().max(Comparator.comparingLong(RocksDbWalDamageTest::size)).get();
  }

  private static long size(Path f) {
    try {
      return Files.size(f);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void assertRefusedThenSalvaged(Path dir) {
    assertThatThrownBy(() -> RocksDbStorage.open(dir, PARTITIONS))
        .isInstanceOf(TallyException.class)
        .hasMessageContaining("write-ahead log")
        .hasMessageContaining("damaged or incomplete")
        .hasMessageContaining("--salvage-wal");
    // refused again: the refusal does not depend on what the first attempt changed
    assertThatThrownBy(() -> RocksDbStorage.open(dir, PARTITIONS))
        .hasMessageContaining("--salvage-wal");
    RocksDbStorage salvaged = RocksDbStorage.open(dir, PARTITIONS, true);
    try {
      assertThat(salvaged.salvaged()).isPresent();
      assertThat(salvaged.salvaged().get().describe()).contains("write-ahead log salvaged");
    } finally {
      salvaged.close();
    }
    assertThat(eventsIn(dir, false))
        .as("after a salvage the data dir opens normally")
        .isLessThan(EVENTS);
  }

  @Test
  void anUndamagedRestartKeepsEveryAcknowledgedEventAndTheWalInItsOwnDir() throws Exception {
    Path dir = ingestAndStop();
    assertThat(walFiles(dir)).isNotEmpty();
    assertThat(eventsIn(dir, false)).isEqualTo(EVENTS);
    assertThat(eventsIn(dir, false)).isEqualTo(EVENTS);
  }

  @Test
  void aWalTruncatedToHalfIsRefusedAndSalvageReportsTheLoss() throws Exception {
    Path dir = ingestAndStop();
    Path wal = largestWal(dir);
    try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }
    assertRefusedThenSalvaged(dir);
  }

  @Test
  void aWalWithFlippedBytesIsRefusedAndSalvageReportsTheLoss() throws Exception {
    Path dir = ingestAndStop();
    Path wal = largestWal(dir);
    try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
      long middle = f.length() / 2;
      byte[] bytes = new byte[64];
      f.seek(middle);
      f.readFully(bytes);
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] ^= (byte) 0xFF;
      }
      f.seek(middle);
      f.write(bytes);
    }
    assertRefusedThenSalvaged(dir);
  }

  @Test
  void deletedWalFilesAreRefusedAndSalvageCountsTheLostSequenceNumbers() throws Exception {
    Path dir = ingestAndStop();
    for (Path wal : walFiles(dir)) {
      Files.delete(wal);
    }
    assertRefusedThenSalvaged(dir);
  }

  @Test
  void salvageReportsTheSequenceRangeThatWasLost() throws Exception {
    Path dir = ingestAndStop();
    for (Path wal : walFiles(dir)) {
      Files.delete(wal);
    }
    RocksDbStorage salvaged = RocksDbStorage.open(dir, PARTITIONS, true);
    try {
      WalSalvage report = salvaged.salvaged().orElseThrow();
      assertThat(report.recordedSequence()).isPresent();
      assertThat(report.lostSequenceNumbers()).isPositive();
      assertThat(report.describe())
          .contains("sequence numbers " + (report.recoveredSequence() + 1) + " to ")
          .contains("were lost");
    } finally {
      salvaged.close();
    }
  }

  @Test
  void aDataDirOfTheOlderLayoutWithTheWalBesideTheSstFilesOpensWithEveryEvent() throws Exception {
    Path dir = ingestAndStop();
    for (Path wal : walFiles(dir)) { // back to the layout before the wal/ dir existed
      Files.move(wal, dir.resolve(wal.getFileName()));
    }
    Files.delete(dir.resolve("wal"));
    Files.delete(dir.resolve(WalWatermark.FILE_NAME));
    assertThat(eventsIn(dir, false)).isEqualTo(EVENTS);
    assertThat(walFiles(dir)).isNotEmpty();
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .noneMatch(n -> n.matches("[0-9]+\\.log"));
    }
    assertThat(eventsIn(dir, false)).isEqualTo(EVENTS);
  }

  @Test
  void salvageOnAnIntactWalReportsNothing() throws Exception {
    Path dir = ingestAndStop();
    RocksDbStorage storage = RocksDbStorage.open(dir, PARTITIONS, true);
    try {
      assertThat(storage.salvaged()).isEmpty();
    } finally {
      storage.close();
    }
    assertThat(eventsIn(dir, false)).isEqualTo(EVENTS);
  }
}
