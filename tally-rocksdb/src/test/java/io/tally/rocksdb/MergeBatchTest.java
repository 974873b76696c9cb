package io.tally.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

class MergeBatchTest {
  @TempDir Path dir;
  private RocksDbStorage storage;

  @BeforeEach
  void open() {
    storage = RocksDbStorage.open(dir.resolve("data"), 4);
  }

  @AfterEach
  void close() {
    storage.close();
  }

  /** Keys of 0 to 300 bytes (one- and two-byte lengths), non-ASCII, values across the u64 range. */
  private static List<byte[]> keys(int n, long seed) {
    Random random = new Random(seed);
    List<byte[]> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      StringBuilder k = new StringBuilder("k" + i + "-vidéo-");
      k.append("x".repeat(random.nextInt(300)));
      keys.add(k.toString().getBytes(StandardCharsets.UTF_8));
    }
    keys.add(new byte[0]);
    return keys;
  }

  private static long value(int i) {
    return switch (i % 4) {
      case 0 -> 1;
      case 1 -> -1;
      case 2 -> Long.MAX_VALUE;
      default -> (long) i * 1_000_003L;
    };
  }

  @Test
  void encodesExactlyTheBatchRocksDbBuildsFromTheSameMerges() throws Exception {
    for (ColumnFamilyHandle cf : List.of(storage.counters(), storage.meta())) {
      List<byte[]> keys = keys(200, cf.getID());
      MergeBatch encoded = new MergeBatch(cf, 3); // grows as it goes
      try (WriteBatch expected = new WriteBatch()) {
        for (int i = 0; i < keys.size(); i++) {
          encoded.mergeU64(keys.get(i), value(i));
          expected.merge(cf, keys.get(i), CounterKeyDescriptor.encodeValue(value(i)));
        }
        try (WriteBatch actual = encoded.toWriteBatch()) {
          assertThat(cf.getID() == 0)
              .as("one family by id, the other without")
              .isEqualTo(cf == storage.meta());
          assertThat(actual.count()).isEqualTo(keys.size()).isEqualTo(encoded.count());
          assertThat(actual.data()).isEqualTo(expected.data());
        }
        MergeBatch sized = new MergeBatch(cf, mergeBytes(cf, keys));
        for (int i = 0; i < keys.size(); i++) {
          sized.mergeU64(keys.get(i), value(i));
        }
        try (WriteBatch actual = sized.toWriteBatch()) {
          assertThat(actual.data()).as("sized exactly").isEqualTo(expected.data());
        }
      }
    }
  }

  private static int mergeBytes(ColumnFamilyHandle cf, List<byte[]> keys) {
    int bytes = 0;
    for (byte[] k : keys) {
      bytes += MergeBatch.bytesOf(cf.getID(), k.length);
    }
    return bytes;
  }

  /**
   * A flush's batch is often a G1 humongous object (over 512 KB on a 2 GB heap), each of which may
   * start a marking cycle with a pause: sized exactly, a batch allocates its representation once
   * (it allocated about three times its size, growing and then copying to its length).
   */
  @Test
  void aSizedBatchAllocatesItsRepresentationOnce() throws Exception {
    List<byte[]> keys = new ArrayList<>();
    for (int i = 0; i < 40_000; i++) {
      keys.add(
          ("video:" + i + "|view|m|" + (29_000_000 + i % 60)).getBytes(StandardCharsets.UTF_8));
    }
    ColumnFamilyHandle cf = storage.counters();
    int bytes = mergeBytes(cf, keys);
    assertThat(bytes).as("a humongous batch").isGreaterThan(1 << 20);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    for (int round = 0; round < 3; round++) {
      long before = threads.getCurrentThreadAllocatedBytes();
      MergeBatch sized = new MergeBatch(cf, bytes);
      for (int i = 0; i < keys.size(); i++) {
        sized.mergeU64(keys.get(i), i);
      }
      try (WriteBatch wb = sized.toWriteBatch()) {
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(wb.count()).isEqualTo(keys.size());
        assertThat(allocated)
            .as("bytes allocated for a %d-byte batch", bytes)
            .isBetween((long) bytes, bytes + 4_096L);
      }
    }
  }

  @Test
  void aWrittenBatchAddsItsMergesAndTakesFurtherOperations() throws Exception {
    byte[] key = "counter".getBytes(StandardCharsets.UTF_8);
    byte[] other = "checkpoint".getBytes(StandardCharsets.UTF_8);
    try (WriteOptions options = new WriteOptions()) {
      for (int round = 0; round < 3; round++) {
        MergeBatch encoded = new MergeBatch(storage.counters(), 1);
        encoded.mergeU64(key, 5);
        encoded.mergeU64(key, -2);
        try (WriteBatch wb = encoded.toWriteBatch()) {
          wb.put(storage.meta(), other, new byte[] {(byte) round});
          storage.write(options, wb);
        }
      }
    }
    assertThat(CounterKeyDescriptor.decodeValue(storage.db().get(storage.counters(), key)))
        .isEqualTo(9);
    assertThat(storage.db().get(storage.meta(), other)).containsExactly(2);
  }
}
