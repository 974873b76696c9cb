package io.tally.raw;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.core.raw.RawConfig;
import io.tally.core.raw.RawEvent;
import io.tally.core.raw.RawGap;
import io.tally.core.raw.RawStore;
import io.tally.core.store.Checkpoint;
import io.tally.model.Event;
import io.tally.model.TallyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DuckDbRawStoreTest {
  private static final long HOUR = 3_600_000;
  private static final long T0 = 1_764_900_000_000L; // 2025-12-05T02:00Z

  @TempDir Path dir;

  private static List<RawEvent> events(int partition, long fromOffset, int n, long appendTime) {
    List<RawEvent> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long offset = fromOffset + i;
      out.add(
          new RawEvent(
              partition,
              offset,
              appendTime,
              new Event("e" + offset, "video:1", "view", appendTime, 1),
              Map.of()));
    }
    return out;
  }

  private static long count(DuckDbRawStore store) {
    try (DuckDbRawSql sql = new DuckDbRawSql(store, RawConfig.DEFAULTS, 1)) {
      return (Long) sql.query("SELECT count(*) FROM events").rows().get(0).get(0);
    }
  }

  @Test
  void keepsFilesAndPositionsAcrossReopening() {
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      store.write(0, events(0, 0, 10, T0), new Checkpoint(0, 12, T0, T0 + 60_000));
    }
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      assertThat(store.exported(0)).isEqualTo(new Checkpoint(0, 12, T0, T0 + 60_000));
      assertThat(store.exported(1)).isEqualTo(Checkpoint.initial(1));
      assertThat(store.manifest().files())
          .containsExactly(
              new RawFile("day=2025-12-05/hour=02/p0-0-10.parquet", 0, 0, 10, 10, T0, T0));
      assertThat(count(store)).isEqualTo(10);
    }
  }

  @Test
  void anEventWithoutAttributesIsStoredWithAnEmptyMapNotANull() {
    List<RawEvent> events = new ArrayList<>(events(0, 0, 3, T0));
    RawEvent e1 = events.get(1);
    events.set(
        1,
        new RawEvent(
            e1.partition(),
            e1.offset(),
            e1.appendTimeMillis(),
            e1.event(),
            Map.of("channel", "c1")));
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      store.write(0, events, new Checkpoint(0, 3, T0, T0 + 60_000));
      try (DuckDbRawSql sql = new DuckDbRawSql(store, RawConfig.DEFAULTS, 1)) {
        assertThat(
                sql.query(
                        "SELECT id, attributes, attributes IS NULL, cardinality(attributes) FROM"
                            + " events ORDER BY id")
                    .rows())
            .containsExactly(
                List.of("e0", Map.of(), false, 0L),
                List.of("e1", Map.of("channel", "c1"), false, 1L),
                List.of("e2", Map.of(), false, 0L));
      }
    }
  }

  @Test
  void deletesFilesTheManifestDoesNotListWhenThePartitionIsClaimed() throws Exception {
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      store.write(0, events(0, 0, 10, T0), new Checkpoint(0, 10, T0, T0));
    }
    Path hour = dir.resolve("day=2025-12-05/hour=02");
    Files.writeString(hour.resolve("p0-10-20.parquet"), "written, then killed before the manifest");
    Files.writeString(hour.resolve("p0-10-20.parquet.tmp"), "killed while writing");
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      assertThat(store.claim(0)).isTrue();
      assertThat(hour.resolve("p0-10-20.parquet")).doesNotExist();
      assertThat(hour.resolve("p0-10-20.parquet.tmp")).doesNotExist();
      assertThat(hour.resolve("p0-0-10.parquet")).exists();
      assertThat(count(store)).isEqualTo(10);
    }
  }

  @Test
  void refusesAWriteThatDoesNotContinueAtTheExportedPosition() {
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      store.write(0, events(0, 0, 10, T0), new Checkpoint(0, 10, T0, T0));
      assertThatThrownBy(() -> store.write(0, events(0, 5, 10, T0), new Checkpoint(0, 15, T0, T0)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("does not continue at 10");
      assertThat(count(store)).isEqualTo(10);
    }
  }

  @Test
  void aWriteClosedWithoutItsCommitLeavesNoFileAndTheRangeWritableAgain() throws Exception {
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      store.write(0, events(0, 0, 10, T0), new Checkpoint(0, 10, T0, T0));
      try (RawStore.Write w = store.begin(0)) {
        events(0, 10, 5, T0).forEach(w::append);
        events(0, 15, 5, T0 + HOUR).forEach(w::append); // the first hour's file is written here
        assertThat(dir.resolve("day=2025-12-05/hour=02/p0-10-15.parquet")).exists();
      } // killed before its commit: say, the export stopped or the log read failed
      assertThat(dir.resolve("day=2025-12-05/hour=02/p0-10-15.parquet")).doesNotExist();
      assertThat(dir.resolve("day=2025-12-05/hour=03")).as("its open file").doesNotExist();
      assertThat(store.exported(0).nextOffset()).isEqualTo(10);
      assertThat(count(store)).isEqualTo(10);

      List<RawEvent> again = new ArrayList<>(events(0, 10, 5, T0));
      again.addAll(events(0, 15, 5, T0 + HOUR));
      store.write(0, again, new Checkpoint(0, 20, T0 + HOUR, T0 + HOUR));
      assertThat(count(store)).isEqualTo(20);
      assertThat(store.manifest().files()).hasSize(3);
    }
  }

  @Test
  void aWriteWhoseFileCannotBeWrittenLeavesTheStoreWritable() throws Exception {
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      store.write(0, events(0, 0, 10, T0), new Checkpoint(0, 10, T0, T0));
      Path nextHour = dir.resolve("day=2025-12-05/hour=03");
      Files.writeString(nextHour, "a file where the hour's directory goes: the write fails");
      List<RawEvent> more = events(0, 10, 5, T0 + HOUR);
      Checkpoint to = new Checkpoint(0, 15, T0 + HOUR, T0 + HOUR);
      // the file's transaction is open when it fails: rolled back, or every later write fails
      assertThatThrownBy(() -> store.write(0, more, to))
          .isInstanceOf(TallyException.class)
          .hasMessageContaining("hour=03");
      assertThat(store.exported(0).nextOffset()).isEqualTo(10);
      assertThat(count(store)).isEqualTo(10);

      Files.delete(nextHour);
      store.write(0, more, to);
      assertThat(store.exported(0)).isEqualTo(to);
      assertThat(count(store)).as("the failed write's rows are not written twice").isEqualTo(15);
      store.write(0, events(0, 15, 5, T0 + HOUR), new Checkpoint(0, 20, T0 + HOUR, T0 + HOUR));
      assertThat(count(store)).isEqualTo(20);
    }
  }

  @Test
  @Timeout(60) // a lock held by mistake would hang the suite
  void writesPartitionsAtOnceButAPartitionOneWriteAtATime() throws Exception {
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      RawStore.Write w0 = store.begin(0);
      assertThatThrownBy(() -> store.begin(1))
          .as("a claim waits for every write: this thread's own would never end")
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("must be claimed before");
      Thread claimer = new Thread(() -> store.claim(1)); // waits for w0
      claimer.start();
      Thread.sleep(100);
      assertThat(claimer.isAlive()).as("the claim waits for the open write").isTrue();
      w0.close(); // uncommitted: nothing recorded
      claimer.join();
      w0 = store.begin(0);
      assertThatThrownBy(() -> store.begin(0))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("has a write already");
      // a write is closed by the thread that began it: partition 1's, while partition 0's is open
      Thread other =
          new Thread(
              () -> {
                try (RawStore.Write w1 = store.begin(1)) {
                  events(1, 0, 1_000, T0).forEach(w1::append);
                  w1.commit(new Checkpoint(1, 1_000, T0, T0), List.of());
                }
              });
      other.start();
      events(0, 0, 1_000, T0).forEach(w0::append);
      w0.commit(new Checkpoint(0, 1_000, T0, T0), List.of());
      w0.close();
      other.join();
      assertThat(count(store)).isEqualTo(2_000);
      assertThat(store.exported(0).nextOffset()).isEqualTo(1_000);
      assertThat(store.exported(1).nextOffset()).isEqualTo(1_000);
      store.write(0, events(0, 1_000, 5, T0), new Checkpoint(0, 1_005, T0, T0)); // closed: again
      assertThat(count(store)).isEqualTo(2_005);
    }
  }

  @Test
  void refusesEventsOutOfOrderOrPastTheNewPosition() {
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      try (RawStore.Write w = store.begin(0)) {
        w.append(events(0, 5, 1, T0).get(0));
        assertThatThrownBy(() -> w.append(events(0, 5, 1, T0).get(0)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("does not continue at 6");
        assertThatThrownBy(() -> w.append(events(1, 6, 1, T0).get(0)))
            .as("another partition's event")
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.commit(new Checkpoint(0, 5, T0, T0), List.of()))
            .isInstanceOf(IllegalArgumentException.class);
      }
      assertThat(store.exported(0)).isEqualTo(Checkpoint.initial(0));
      assertThat(count(store)).isZero();
    }
  }

  @Test
  void expiresWholeFilesLoggedBeforeTheCutoff() {
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      List<RawEvent> two = new ArrayList<>(events(0, 0, 10, T0));
      two.addAll(events(0, 10, 5, T0 + HOUR));
      store.write(0, two, new Checkpoint(0, 15, T0 + HOUR, T0 + HOUR + 60_000));
      assertThat(store.expire(T0 + 1)).isEqualTo(10);
      assertThat(dir.resolve("day=2025-12-05/hour=02/p0-0-10.parquet")).doesNotExist();
      assertThat(count(store)).isEqualTo(5);
      assertThat(store.expire(T0 + 1)).isZero();
    }
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      assertThat(store.manifest().files()).hasSize(1);
      assertThat(store.exported(0).nextOffset()).isEqualTo(15);
    }
  }

  @Test
  void compactsTheFilesOfAClosedHourIntoOne() {
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      store.write(0, events(0, 0, 10, T0), new Checkpoint(0, 10, T0, T0 + 60_000));
      store.write(0, events(0, 12, 5, T0 + 60_000), new Checkpoint(0, 17, T0, T0 + 120_000));
      assertThat(store.compact()).as("the hour is still open").isZero();
      store.write(0, events(0, 17, 3, T0 + HOUR), new Checkpoint(0, 20, T0, T0 + HOUR + 60_000));
      assertThat(store.compact()).isEqualTo(1);
      assertThat(store.manifest().files())
          .extracting(RawFile::path)
          .containsExactlyInAnyOrder(
              "day=2025-12-05/hour=02/p0-0-17.parquet", "day=2025-12-05/hour=03/p0-17-20.parquet");
      assertThat(dir.resolve("day=2025-12-05/hour=02/p0-0-10.parquet")).doesNotExist();
      assertThat(count(store)).isEqualTo(18);
    }
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      assertThat(count(store)).isEqualTo(18);
      assertThat(store.manifest().files().get(1).rows()).isEqualTo(15);
    }
  }

  @Test
  void sharesItsDirectoryWithOtherStoresOneWriterAPartition() {
    try (DuckDbRawStore a = DuckDbRawStore.open(dir);
        DuckDbRawStore b = DuckDbRawStore.open(dir)) {
      a.write(0, events(0, 0, 10, T0), new Checkpoint(0, 10, T0, T0));
      assertThat(b.claim(0)).isFalse();
      assertThatThrownBy(() -> b.write(0, events(0, 10, 2, T0), new Checkpoint(0, 12, T0, T0)))
          .isInstanceOf(TallyException.class)
          .hasMessageContaining("written by another process");
      b.write(1, events(1, 0, 5, T0), new Checkpoint(1, 5, T0, T0));
      assertThat(count(a)).isEqualTo(15);
      assertThat(count(b)).isEqualTo(15);
      a.release(0); // the partition moves to b, which goes on where a stopped
      assertThat(b.claim(0)).isTrue();
      assertThat(b.exported(0).nextOffset()).isEqualTo(10);
      b.write(0, events(0, 10, 2, T0), new Checkpoint(0, 12, T0, T0));
      assertThat(count(a)).isEqualTo(17);
      assertThat(a.claim(0)).isFalse();
    }
  }

  @Test
  void splitsAWholeStoreManifestIntoOnePerPartition() throws Exception {
    Files.writeString(
        dir.resolve("manifest"),
        "tally-raw-manifest\t1\nposition\t0\t12\t5\t6\nposition\t3\t7\t8\t9\n");
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      assertThat(store.exported(0)).isEqualTo(new Checkpoint(0, 12, 5, 6));
      assertThat(store.exported(3)).isEqualTo(new Checkpoint(3, 7, 8, 9));
      assertThat(dir.resolve("manifest")).doesNotExist();
      assertThat(dir.resolve("partitions/p3.manifest")).exists();
    }
  }

  @Test
  void refusesAManifestOfAnotherVersionRatherThanMisreadingIt() throws Exception {
    Files.writeString(dir.resolve("manifest"), "tally-raw-manifest\t3\n");
    assertThatThrownBy(() -> DuckDbRawStore.open(dir))
        .isInstanceOf(TallyException.class)
        .hasMessageContaining("is not a version 1 or 2 manifest");
  }

  @Test
  void keepsAGapWithTheWriteAfterItAcrossReopening() {
    RawGap gap = new RawGap(0, 10, 14, T0, T0 + 90_000);
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      store.write(0, events(0, 0, 10, T0), new Checkpoint(0, 10, T0, T0 + 60_000));
      store.write(
          0,
          events(0, 14, 2, T0 + 90_000),
          new Checkpoint(0, 16, T0 + 90_000, T0 + 120_000),
          List.of(gap));
    }
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      assertThat(store.gaps()).containsExactly(gap);
      assertThat(store.exported(0).nextOffset()).isEqualTo(16);
      assertThat(new DuckDbRawReader(store).snapshot().gaps()).containsExactly(gap);
    }
  }

  @Test
  void refusesAGapOutsideTheWrittenRange() {
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      store.write(0, events(0, 0, 10, T0), new Checkpoint(0, 10, T0, T0 + 60_000));
      assertThatThrownBy(
              () ->
                  store.write(
                      0,
                      List.of(),
                      new Checkpoint(0, 12, T0, T0 + 60_000),
                      List.of(new RawGap(0, 8, 12, T0, T0))))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(store.gaps()).isEmpty();
    }
  }

  @Test
  void readsAVersion1PartitionManifestWithoutGaps() throws Exception {
    Files.createDirectories(dir.resolve("partitions"));
    Files.writeString(
        dir.resolve("partitions/p0.manifest"), "tally-raw-manifest\t1\nposition\t0\t12\t5\t6\n");
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      assertThat(store.exported(0)).isEqualTo(new Checkpoint(0, 12, 5, 6));
      assertThat(store.gaps()).isEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "tally-raw-manifest\t2\ngap\t0\t9\t3\t5\t6\n", // ends before it starts
        "tally-raw-manifest\t2\ngap\t0\t3\t9\t5\n", // a field short
        "tally-raw-manifest\t2\ngap\t0\t3\t9\t5\tsix\n", // not a number
        "tally-raw-manifest\t2\ngap\t0\t3\t9\t7\t6\n", // span ends before it starts
        "tally-raw-manifest\t1\ngap\t0\t3\t9\t5\t6\n", // no gaps in version 1
      })
  void refusesADamagedGapRatherThanReadingNoGap(String manifest) throws Exception {
    Files.createDirectories(dir.resolve("partitions"));
    Files.writeString(dir.resolve("partitions/p0.manifest"), manifest);
    try (DuckDbRawStore store = DuckDbRawStore.open(dir)) {
      assertThatThrownBy(store::gaps)
          .isInstanceOf(TallyException.class)
          .hasMessageContaining("partitions/p0.manifest");
      assertThatThrownBy(() -> store.claim(0)).isInstanceOf(TallyException.class);
      assertThatThrownBy(() -> new DuckDbRawReader(store).snapshot())
          .isInstanceOf(TallyException.class);
    }
  }
}
