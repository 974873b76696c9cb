package io.tally.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.log.EventLog;
import io.tally.core.log.LogRecord;
import io.tally.testkit.EventLogContract;
import io.tally.testkit.ManualClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.FlushOptions;

class RocksDbEventLogTest extends EventLogContract {
  @TempDir Path dir;
  private RocksDbStorage storage;

  @Override
  protected EventLog openLog(int partitions, ManualClock clock) {
    storage = RocksDbStorage.open(dir.resolve("data"), partitions);
    return new RocksDbEventLog(storage, clock, FsyncPolicy.ALWAYS);
  }

  @AfterEach
  void closeStorage() {
    log.close();
    storage.close();
  }

  @Test
  void acknowledgedAppendsSurviveAReopenAndOffsetsContinue() throws Exception {
    append(2, 5, "a");
    long appendTime = readAll(2, 0).get(0).appendTimeMillis();
    log.close();
    storage.close();
    clock.advance(-3_600_000); // even if the clock went back while the process was down
    log = openLog(PARTITIONS, clock);
    assertThat(readAll(2, 0))
        .extracting(r -> r.event().id())
        .containsExactly("a0", "a1", "a2", "a3", "a4");
    append(2, 1, "b");
    LogRecord b = readAll(2, 5).get(0);
    assertThat(b.offset()).isEqualTo(5);
    assertThat(b.appendTimeMillis()).isGreaterThanOrEqualTo(appendTime);
  }

  @Test
  void retentionSurvivesAReopen() throws Exception {
    append(1, 3, "a");
    append(1, 3, "b");
    log.deleteBefore(1, 3);
    log.close();
    storage.close();
    log = openLog(PARTITIONS, clock);
    assertThat(log.startOffset(1)).isEqualTo(3);
    assertThat(log.head(1).endOffset()).isEqualTo(6);
  }

  @Test
  void intervalFsyncAcknowledgesAndKeepsEverything() throws Exception {
    log.close();
    storage.close();
    storage = RocksDbStorage.open(dir.resolve("data"), PARTITIONS);
    log = new RocksDbEventLog(storage, clock, FsyncPolicy.parse("20ms"));
    append(0, 100, "i");
    assertThat(readAll(0, 0)).hasSize(100);
  }

  @Test
  void batchesLiveInBlobFilesReadBackAfterAReopenAndLeaveTheDiskOnceReleased() throws Exception {
    for (int round = 0; round < 3; round++) {
      appendToEveryPartition("r" + round); // ~1 KB a stored batch: above the blob size
      flushLog();
    }
    List<Path> released = blobFiles();
    assertThat(released).as("the log's batches are kept in blob files").hasSize(3);
    log.close();
    storage.close();
    log = openLog(PARTITIONS, clock);
    for (int p = 0; p < PARTITIONS; p++) {
      List<LogRecord> records = readAll(p, 0);
      assertThat(records).hasSize(120);
      assertThat(records.get(119).event().id()).isEqualTo("r2p" + p + "-39");
      assertThat(log.offsetForTime(p, records.get(0).appendTimeMillis())).isZero();
    }
    for (int p = 0; p < PARTITIONS; p++) {
      log.deleteBefore(p, 120);
    }
    // RocksDB's own compactions, started by new flushes, drop the released keys, then their files
    for (int round = 3; round < 8 && released.stream().anyMatch(Files::exists); round++) {
      appendToEveryPartition("r" + round);
      flushLog();
    }
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (released.stream().anyMatch(Files::exists) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(released)
        .as("a blob file goes once every batch in it was released and its keys compacted away")
        .noneMatch(Files::exists);
    assertThat(readAll(0, 0)).first().extracting(LogRecord::offset).isEqualTo(120L);
  }

  private void appendToEveryPartition(String prefix) throws Exception {
    for (int p = 0; p < PARTITIONS; p++) {
      append(p, 40, prefix + "p" + p + "-");
    }
  }

  private void flushLog() throws Exception {
    try (FlushOptions wait = new FlushOptions().setWaitForFlush(true)) {
      storage.db().flush(wait, storage.log());
    }
  }

  private List<Path> blobFiles() throws IOException {
    try (Stream<Path> files = Files.list(dir.resolve("data"))) {
      return files.filter(f -> f.getFileName().toString().endsWith(".blob")).toList();
    }
  }
}
