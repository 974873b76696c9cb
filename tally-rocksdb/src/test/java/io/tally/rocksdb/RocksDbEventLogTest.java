package io.tally.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.log.EventLog;
import io.tally.core.log.LogRecord;
import io.tally.testkit.EventLogContract;
import io.tally.testkit.ManualClock;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
}
