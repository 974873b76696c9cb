package io.tally.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksDbAttributeStoreTest {
  @TempDir Path dir;
  private RocksDbStorage storage;
  private RocksDbAttributeStore store;

  @BeforeEach
  void open() {
    open(false);
  }

  private void open(boolean sync) {
    storage = RocksDbStorage.open(dir.resolve("data"), 4);
    store = new RocksDbAttributeStore(storage, 1 << 20, sync);
  }

  @AfterEach
  void close() {
    store.close();
    storage.close();
  }

  @Test
  void putReplacesEveryAttributeAndDeleteRemovesThem() {
    assertThat(store.attributes("video:1")).isEmpty();
    store.put("video:1", Map.of("channel", "c1", "category", "music"));
    assertThat(store.attributes("video:1")).isEqualTo(Map.of("channel", "c1", "category", "music"));
    store.put("video:1", Map.of("channel", "c2"));
    assertThat(store.attributes("video:1")).isEqualTo(Map.of("channel", "c2"));
    store.delete("video:1");
    assertThat(store.attributes("video:1")).isEmpty();
    store.delete("video:never");
    assertThat(store.attributes("video:never")).isEmpty();
  }

  @Test
  void attributesSurviveAReopen() {
    close();
    open(true);
    store.put("video:1", Map.of("channel", "c1"));
    store.put("video:2", Map.of("channel", "c2"));
    store.delete("video:2");
    close();
    open();
    assertThat(store.attributes("video:1")).isEqualTo(Map.of("channel", "c1"));
    assertThat(store.attributes("video:2")).isEmpty();
  }

  @Test
  void clearRemovesEveryEntity() {
    for (int i = 0; i < 100; i++) {
      store.put("video:" + i, Map.of("channel", "c" + i));
    }
    store.clear();
    for (int i = 0; i < 100; i++) {
      assertThat(store.attributes("video:" + i)).isEmpty();
    }
    close();
    open();
    assertThat(store.attributes("video:5")).isEmpty();
  }

  @Test
  void theBoundedCacheStillAnswersEveryEntityCorrectly() {
    // a 1 MiB cache holds a few thousand entries: most of these are evicted and read again
    for (int i = 0; i < 20_000; i++) {
      store.put("video:" + i, Map.of("channel", "c" + i % 7));
    }
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 20_000; i++) {
        assertThat(store.attributes("video:" + i)).containsEntry("channel", "c" + i % 7);
      }
    }
  }

  @Test
  void aReaderNeverSeesAnOldValueAfterAWriteReturned() throws Exception {
    int writes = 5_000;
    AtomicReference<String> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    List<Thread> readers = new ArrayList<>();
    VolatileLong last = new VolatileLong();
    for (int r = 0; r < 3; r++) {
      Thread t =
          new Thread(
              () -> {
                while (done.getCount() > 0) {
                  long before = last.get();
                  String v = store.attributes("video:hot").getOrDefault("n", "-1");
                  if (Long.parseLong(v) < before) {
                    failure.compareAndSet(null, "read " + v + " after " + before + " was written");
                  }
                }
              });
      t.start();
      readers.add(t);
    }
    for (int i = 0; i < writes; i++) {
      store.put("video:hot", Map.of("n", Long.toString(i)));
      last.set(i);
    }
    done.countDown();
    for (Thread t : readers) {
      t.join();
    }
    assertThat(failure.get()).isNull();
  }

  private static final class VolatileLong {
    private volatile long value = -1;

    long get() {
      return value;
    }

    void set(long v) {
      value = v;
    }
  }
}
